/**
 * An endpoint's OAuth2 client credentials (`Model.EndpointOAuth2`): the input checked (the token URL by the same
 * rules as an endpoint URL; the client id, secret and scopes by RFC 6749's), the secret sealed like the endpoint's
 * secrets, opened for a token request, and shown without the secret.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { ValidationError } from "../../Errors.js"
import type * as Model from "../../Model.js"
import type { Resolved } from "../../Settings.js"
import type * as OAuth2 from "../oauth2.js"
import * as validate from "../validate.js"

/** How an endpoint's OAuth2 settings are shown: never the secret. */
export interface OAuth2View {
  readonly tokenUrl: string
  readonly clientId: string
  readonly scopes: ReadonlyArray<string>
  readonly clientAuth: "basic" | "body"
}

export const SECRET_PURPOSE = "oauth2.clientSecret"

const invalid = (message: string) => new ValidationError({ code: "invalid_option", field: "oauth2", message })

const FIELDS = new Set(["tokenUrl", "clientId", "clientSecret", "scopes", "clientAuth"])
// RFC 6749 §A.1 (client id: VSCHAR) and §A.4 (scope-token: NQCHAR without space).
const VSCHAR = /^[\x20-\x7e]{1,256}$/
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/

/** The checked settings (the secret still plain), null to remove them, or undefined (unchanged). */
export const check = (
  value: unknown,
  settings: Resolved
): Effect.Effect<Model.EndpointOAuth2 | null | undefined, ValidationError> =>
  Effect.gen(function*() {
    if (value === undefined || value === null) return value
    if (typeof value !== "object" || Array.isArray(value)) {
      return yield* invalid("oauth2 must be an object { tokenUrl, clientId, clientSecret, scopes? }, or null")
    }
    const input = value as Record<string, unknown>
    const unknown = Object.keys(input).find((key) => !FIELDS.has(key))
    if (unknown !== undefined) {
      return yield* invalid(
        `oauth2 has no field ${JSON.stringify(unknown)}: use tokenUrl, clientId, clientSecret, scopes, clientAuth`
      )
    }
    const { url: tokenUrl } = yield* Effect.mapError(
      validate.url(input.tokenUrl, settings),
      (error) => invalid(`oauth2.tokenUrl: ${error.message}`)
    )
    if (typeof input.clientId !== "string" || !VSCHAR.test(input.clientId)) {
      return yield* invalid("oauth2.clientId must be 1–256 printable ASCII characters")
    }
    const secret = Redacted.isRedacted(input.clientSecret) ? Redacted.value(input.clientSecret) : input.clientSecret
    if (typeof secret !== "string" || !/^[\x20-\x7e]{1,4096}$/.test(secret)) {
      return yield* invalid("oauth2.clientSecret must be 1–4096 printable ASCII characters (a string or Redacted)")
    }
    const scopes = input.scopes ?? []
    if (!Array.isArray(scopes) || scopes.length > 50 || !scopes.every((s) => typeof s === "string" && SCOPE.test(s))) {
      return yield* invalid(
        "oauth2.scopes must be at most 50 scope names, each without spaces, quotes or backslashes (like \"webhooks:write\")"
      )
    }
    const clientAuth = input.clientAuth ?? "basic"
    if (clientAuth !== "basic" && clientAuth !== "body") {
      return yield* invalid("oauth2.clientAuth must be \"basic\" (HTTP Basic, the default) or \"body\"")
    }
    return { tokenUrl, clientId: input.clientId, clientSecret: secret, scopes, clientAuth }
  })

/** The stored form: the secret sealed for its endpoint. */
export const seal = (
  settings: Resolved,
  owner: { readonly tenant: string; readonly id: string },
  oauth2: Model.EndpointOAuth2
): Model.EndpointOAuth2 => ({
  ...oauth2,
  clientSecret: settings.secrets.seal(owner, oauth2.clientSecret, SECRET_PURPOSE)
})

/** What a token request needs (the secret opened), or undefined. Throws an `Error` without the secret. */
export const open = (settings: Resolved, endpoint: Model.EndpointRecord): OAuth2.Client | undefined => {
  const oauth2 = endpoint.transport?.oauth2
  if (oauth2 === undefined || oauth2 === null) return undefined
  return { ...oauth2, clientSecret: settings.secrets.open(endpoint, oauth2.clientSecret, SECRET_PURPOSE) }
}

/** The view: everything but the secret. */
export const view = (oauth2: Model.EndpointOAuth2 | null | undefined): OAuth2View | null =>
  oauth2 === undefined || oauth2 === null
    ? null
    : { tokenUrl: oauth2.tokenUrl, clientId: oauth2.clientId, scopes: oauth2.scopes, clientAuth: oauth2.clientAuth }
