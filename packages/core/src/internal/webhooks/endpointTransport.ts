/**
 * An endpoint's `transport` (`Model.EndpointTransport`): the sensitive headers of create and update checked and
 * sealed, opened for an attempt, shown redacted (a view, the attempt log), and re-sealed after a master key rotation;
 * its named egress proxy checked against the engine's `proxies` and looked up for an attempt; its TLS settings (see
 * `endpointTls.ts`) sealed and re-sealed with the rest.
 * Plain values exist only in the input, in the request handed to the Transport, and in the open-value cache.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { ValidationError } from "../../Errors.js"
import type * as Model from "../../Model.js"
import type { SecretBox } from "../../SecretBox.js"
import type { Resolved } from "../../Settings.js"
import * as validate from "../validate.js"
import * as endpointOAuth2 from "./endpointOAuth2.js"
import * as endpointTls from "./endpointTls.js"

/** What views and the attempt log show in place of a sensitive header's value. */
export const REDACTED = "<redacted>" as const

/** The create input: header name → value. The update input also takes `null` (remove that header). */
export type SensitiveHeadersInput = Readonly<Record<string, string | Redacted.Redacted<string> | null>>

type Owner = { readonly tenant: string; readonly id: string }

const purposeOf = (name: string) => `header:${name}`

const invalid = (code: "invalid_header" | "reserved_header", message: string) =>
  new ValidationError({ code, field: "sensitiveHeaders", message })

/**
 * The checked input: lower-case name → plain value, or null to remove (update only). Names and values follow the
 * rules of custom headers; error messages name the header, never its value.
 */
export const checkSensitiveHeaders = (
  value: unknown,
  settings: Resolved,
  allowRemove: boolean
): Effect.Effect<Readonly<Record<string, string | null>> | undefined, ValidationError> =>
  Effect.suspend(() => {
    if (value === undefined) return Effect.succeed(undefined)
    if (value === null || typeof value !== "object" || Array.isArray(value) || Redacted.isRedacted(value)) {
      return Effect.fail(
        invalid("invalid_header", "sensitiveHeaders must be an object of header name → value (a string or Redacted)")
      )
    }
    const plain: Record<string, string> = {}
    const removed: Array<string> = []
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === null && allowRemove) removed.push(name)
      else if (Redacted.isRedacted(v)) plain[name] = Redacted.value(v) as string
      else if (typeof v === "string") plain[name] = v
      else {
        return Effect.fail(
          invalid(
            "invalid_header",
            `sensitive header ${JSON.stringify(name)} must be a string or Redacted string` +
              (allowRemove ? " (null removes it)" : "")
          )
        )
      }
    }
    return Effect.map(
      Effect.mapError(
        validate.headers({ ...plain, ...Object.fromEntries(removed.map((name) => [name, ""])) }, settings),
        (error) => invalid(error.code as "invalid_header" | "reserved_header", error.message)
      ),
      (checked) => {
        const out: Record<string, string | null> = { ...checked }
        for (const name of removed) out[name.toLowerCase()] = null
        return out
      }
    )
  })

/** The checked changes of create or update; absent fields stay as they are. */
export interface Changes {
  readonly sensitiveHeaders?: Readonly<Record<string, string | null>> | undefined
  readonly proxy?: string | null | undefined
  /** Checked by `endpointTls.check`; the key still plain. */
  readonly tls?: Model.EndpointTls | null | undefined
  /** Checked by `endpointOAuth2.check`; the secret still plain. */
  readonly oauth2?: Model.EndpointOAuth2 | null | undefined
}

/** A name of the engine's `proxies`, null (the transport's default), or undefined (unchanged). */
export const checkProxy = (
  value: unknown,
  settings: Resolved
): Effect.Effect<string | null | undefined, ValidationError> =>
  value === undefined || value === null || (typeof value === "string" && settings.proxies.has(value))
    ? Effect.succeed(value as string | null | undefined)
    : Effect.fail(
      new ValidationError({
        code: "invalid_option",
        field: "proxy",
        message: `proxy ${JSON.stringify(value)} is not one of the engine's proxies; known: ${
          [...settings.proxies.keys()].join(", ") || "(none: configure proxies first)"
        }`
      })
    )

/**
 * The endpoint's transport after applying the checked `changes` to `current` (sealing new values for `owner`), or
 * `current` itself when nothing changes; null when nothing is left. Fails when a name is also a plain header of the
 * endpoint, or when plain and sensitive headers together pass the custom header limit.
 */
export const apply = (
  settings: Resolved,
  owner: Owner,
  current: Model.EndpointTransport | null | undefined,
  changes: Changes,
  headers: Readonly<Record<string, string>>
): Effect.Effect<Model.EndpointTransport | null | undefined, ValidationError> =>
  Effect.suspend(() => {
    let next = current
    if (
      changes.sensitiveHeaders !== undefined || changes.proxy !== undefined || changes.tls !== undefined ||
      changes.oauth2 !== undefined
    ) {
      const sensitive: Record<string, string> = { ...current?.sensitiveHeaders }
      for (const [name, value] of Object.entries(changes.sensitiveHeaders ?? {})) {
        if (value === null) delete sensitive[name]
        else sensitive[name] = settings.secrets.seal(owner, value, purposeOf(name))
      }
      const proxy = changes.proxy !== undefined ? changes.proxy : (current?.proxy ?? null)
      const tls = changes.tls === undefined
        ? (current?.tls ?? null)
        : changes.tls === null
        ? null
        : endpointTls.seal(settings, owner, changes.tls)
      const oauth2 = changes.oauth2 === undefined
        ? (current?.oauth2 ?? null)
        : changes.oauth2 === null
        ? null
        : endpointOAuth2.seal(settings, owner, changes.oauth2)
      next = Object.keys(sensitive).length === 0 && proxy === null && tls === null && oauth2 === null
        ? null
        : { ...current, sensitiveHeaders: sensitive, proxy, tls, oauth2 }
    }
    if (next?.oauth2 != null && (Object.hasOwn(headers, "authorization") || next.sensitiveHeaders.authorization)) {
      return Effect.fail(
        new ValidationError({
          code: "invalid_option",
          field: "oauth2",
          message: "oauth2 sets the Authorization header itself: remove the authorization header, or oauth2"
        })
      )
    }
    const names = Object.keys(next?.sensitiveHeaders ?? {})
    const clash = names.find((name) => Object.hasOwn(headers, name))
    if (clash !== undefined) {
      return Effect.fail(
        invalid(
          "invalid_header",
          `header ${JSON.stringify(clash)} is both a custom header and a sensitive header; keep it in one of them`
        )
      )
    }
    if (names.length + Object.keys(headers).length > validate.LIMITS.headers) {
      return Effect.fail(
        invalid(
          "invalid_header",
          `at most ${validate.LIMITS.headers} custom and sensitive headers are allowed together`
        )
      )
    }
    return Effect.succeed(next)
  })

/**
 * The proxy URL of the endpoint's named proxy (undefined: the transport's default). Throws an `Error` when the
 * engine no longer has that name (its configuration changed since the endpoint chose it).
 */
export const proxyUrl = (settings: Resolved, endpoint: Model.EndpointRecord): string | undefined => {
  const name = endpoint.transport?.proxy
  if (name === undefined || name === null) return undefined
  const url = settings.proxies.get(name)
  if (url === undefined) {
    throw new Error(`the endpoint's proxy ${JSON.stringify(name)} is not among this engine's proxies`)
  }
  return url
}

/** The headers an attempt sends besides the plain ones (opened). Throws an `Error` without the value. */
export const openHeaders = (
  settings: Resolved,
  endpoint: Model.EndpointRecord
): Readonly<Record<string, string>> | undefined => {
  const sealed = endpoint.transport?.sensitiveHeaders
  if (sealed === undefined) return undefined
  let any = false
  for (const _ in sealed) {
    any = true
    break
  }
  if (!any) return undefined
  const out: Record<string, string> = {}
  for (const name in sealed) out[name] = settings.secrets.open(endpoint, sealed[name], purposeOf(name))
  return out
}

/** Name → the redaction marker: what views and logs show. */
export const redactedHeaders = (
  transport: Model.EndpointTransport | null | undefined
): Readonly<Record<string, typeof REDACTED>> => {
  const out: Record<string, typeof REDACTED> = {}
  for (const name in transport?.sensitiveHeaders) out[name] = REDACTED
  return out
}

/** Whether every sealed value of the transport is sealed with the box's current key. */
export const isCurrent = (box: SecretBox, transport: Model.EndpointTransport | null | undefined): boolean =>
  Object.values(transport?.sensitiveHeaders ?? {}).every((value) => box.keyIdOf(value) === box.currentKeyId) &&
  (transport?.tls?.key == null || box.keyIdOf(transport.tls.key) === box.currentKeyId) &&
  (transport?.oauth2 == null || box.keyIdOf(transport.oauth2.clientSecret) === box.currentKeyId)

/** The transport with every value not sealed with the current key opened and sealed again. */
export const reseal = (
  settings: Resolved,
  box: SecretBox,
  owner: Owner,
  transport: Model.EndpointTransport
): Model.EndpointTransport => {
  const sensitiveHeaders: Record<string, string> = {}
  for (const [name, value] of Object.entries(transport.sensitiveHeaders)) {
    sensitiveHeaders[name] = box.keyIdOf(value) === box.currentKeyId
      ? value
      : settings.secrets.seal(owner, settings.secrets.open(owner, value, purposeOf(name)), purposeOf(name))
  }
  const again = (value: string, purpose: string) =>
    box.keyIdOf(value) === box.currentKeyId
      ? value
      : settings.secrets.seal(owner, settings.secrets.open(owner, value, purpose), purpose)
  const tls = transport.tls
  const oauth2 = transport.oauth2
  return {
    ...transport,
    sensitiveHeaders,
    ...(tls == null || tls.key === null ? {} : { tls: { ...tls, key: again(tls.key, endpointTls.KEY_PURPOSE) } }),
    ...(oauth2 == null ?
      {} :
      { oauth2: { ...oauth2, clientSecret: again(oauth2.clientSecret, endpointOAuth2.SECRET_PURPOSE) } })
  }
}
