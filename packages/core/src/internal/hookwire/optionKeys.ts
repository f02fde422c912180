/**
 * The keys each Promise API call accepts, so that a JavaScript caller's typo is an error instead of an option quietly
 * ignored (`events:` for `eventTypes:` subscribed an endpoint to everything; `idempotencyKy` published twice).
 * TypeScript catches these in object literals; JavaScript does not. Every list is checked against its TypeScript
 * type with `satisfies Record<keyof T, true>`: adding an option to a type without adding it here fails `tsc`.
 */
import type * as Dispatcher from "../../Dispatcher.js"
import { ValidationError } from "../../Errors.js"
import type * as Hookwire from "../../Hookwire.js"
import type * as HttpTransport from "../../HttpTransport.js"
import type * as Retention from "../../Retention.js"
import type * as Webhooks from "../../Webhooks.js"

type Keys<T> = Record<keyof T, true>

const endpointOptions = {
  rateLimit: true,
  fifo: true,
  circuitBreaker: true,
  filter: true
} satisfies Keys<Webhooks.EndpointOptionsInput>

/** The fields create and update share. */
const endpointFields = {
  ...endpointOptions,
  tenant: true,
  url: true,
  name: true,
  description: true,
  eventTypes: true,
  channels: true,
  headers: true,
  sensitiveHeaders: true,
  proxy: true,
  tls: true,
  oauth2: true,
  metadata: true,
  timeoutMs: true,
  retryPolicy: true,
  scheme: true
} as const

const tenantAndId = { tenant: true, id: true } as const
const list = { limit: true, cursor: true, order: true } as const

type Arg<F> = F extends (input: infer I, ...rest: ReadonlyArray<any>) => any ? NonNullable<I> : never
type Api = Hookwire.Hookwire<Record<string, unknown>>

type Group = "endpoints" | "messages" | "deliveries" | "maintenance"
/** Every call that takes an options object: a new method fails `tsc` here until its keys are listed. */
type Call = { readonly [G in Group]: `${G}.${keyof Api[G] & string}` }[Group] | "publish"

/** Every call's accepted keys, by the name the error reports. */
export const calls = {
  "endpoints.create": { ...endpointFields, secret: true, disabled: true } satisfies Keys<
    Arg<Api["endpoints"]["create"]>
  >,
  "endpoints.update": { ...endpointFields, id: true } satisfies Keys<Arg<Api["endpoints"]["update"]>>,
  "endpoints.list": { tenant: true, ...list } satisfies Keys<Arg<Api["endpoints"]["list"]>>,
  "endpoints.get": tenantAndId satisfies Keys<Arg<Api["endpoints"]["get"]>>,
  "endpoints.delete": tenantAndId satisfies Keys<Arg<Api["endpoints"]["delete"]>>,
  "endpoints.enable": tenantAndId satisfies Keys<Arg<Api["endpoints"]["enable"]>>,
  "endpoints.disable": { ...tenantAndId, reason: true } satisfies Keys<Arg<Api["endpoints"]["disable"]>>,
  "endpoints.test": { ...tenantAndId, type: true, data: true } satisfies Keys<Arg<Api["endpoints"]["test"]>>,
  "endpoints.stats": tenantAndId satisfies Keys<Arg<Api["endpoints"]["stats"]>>,
  "endpoints.testFilter": { filter: true, payload: true } satisfies Keys<Arg<Api["endpoints"]["testFilter"]>>,
  "messages.resend": { ...tenantAndId, endpointId: true } satisfies Keys<Arg<Api["messages"]["resend"]>>,
  "endpoints.rotateSecret": { ...tenantAndId, grace: true, secret: true } satisfies Keys<
    Arg<Api["endpoints"]["rotateSecret"]>
  >,
  publish: {
    tenant: true,
    type: true,
    data: true,
    channels: true,
    idempotencyKey: true
  } satisfies Keys<Arg<Api["publish"]>>,
  "messages.get": tenantAndId satisfies Keys<Arg<Api["messages"]["get"]>>,
  "messages.list": { tenant: true, type: true, since: true, until: true, ...list } satisfies Keys<
    Arg<Api["messages"]["list"]>
  >,
  "deliveries.get": tenantAndId satisfies Keys<Arg<Api["deliveries"]["get"]>>,
  "deliveries.list": {
    tenant: true,
    endpointId: true,
    messageId: true,
    status: true,
    since: true,
    until: true,
    ...list
  } satisfies Keys<Arg<Api["deliveries"]["list"]>>,
  "deliveries.attempts": {
    tenant: true,
    deliveryId: true,
    endpointId: true,
    messageId: true,
    since: true,
    until: true,
    ...list
  } satisfies Keys<Arg<Api["deliveries"]["attempts"]>>,
  "deliveries.retry": tenantAndId satisfies Keys<Arg<Api["deliveries"]["retry"]>>,
  "deliveries.recover": { tenant: true, endpointId: true, since: true, until: true } satisfies Keys<
    Arg<Api["deliveries"]["recover"]>
  >,
  "maintenance.resealSecrets": { batchSize: true } satisfies Keys<Arg<Api["maintenance"]["resealSecrets"]>>,
  "maintenance.prune": { olderThan: true, batchSize: true, maxBatches: true } satisfies Keys<
    Arg<Api["maintenance"]["prune"]>
  >,
  "maintenance.expunge": tenantAndId satisfies Keys<Arg<Api["maintenance"]["expunge"]>>
} as const satisfies Record<Call, Readonly<Record<string, true>>>

/** `createHookwire`'s own options and its nested option objects. */
export const construction = {
  createHookwire: {
    adapter: true,
    catalog: true,
    dispatcher: true,
    onEvent: true,
    operationalWebhooks: true,
    logger: true,
    logLevel: true,
    retention: true,
    telemetry: true,
    http: true,
    transport: true,
    envelope: true,
    scheme: true,
    schemes: true,
    proxies: true,
    generateSecret: true,
    retryPolicy: true,
    timeout: true,
    allowHttp: true,
    endpointLimit: true,
    rotationGrace: true,
    maxPayloadBytes: true,
    signatureId: true,
    throttleMinDelay: true,
    maxRetryAfter: true,
    masterKeys: true,
    disableAfter: true,
    circuitBreaker: true
  } satisfies Keys<Hookwire.Options<Record<string, unknown>>>,
  http: {
    connections: true,
    keepAliveTimeout: true,
    connectTimeout: true,
    maxOrigins: true,
    ca: true,
    allowPrivateNetworks: true,
    allowCidrs: true,
    proxy: true
  } satisfies Keys<HttpTransport.Options>,
  retention: { olderThan: true, every: true, batchSize: true, maxBatches: true } satisfies Keys<
    Retention.ScheduleOptions
  >,
  dispatcher: {
    concurrency: true,
    perEndpointConcurrency: true,
    lease: true,
    pollInterval: true,
    shutdownGrace: true,
    shutdownTimeout: true,
    writeBatchSize: true,
    maxClaims: true
  } satisfies Keys<Dispatcher.Options>
}

/** The closest known key, when one is close enough to be what the caller meant. */
const suggestion = (key: string, known: ReadonlyArray<string>): string | undefined => {
  const lower = key.toLowerCase()
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1
  for (const candidate of known) {
    const c = candidate.toLowerCase()
    // "events" for "eventTypes": a long common start counts as close.
    const d = commonPrefix(lower, c) >= 5 ? 1 : distance(lower, c)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

const commonPrefix = (a: string, b: string): number => {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return i
}

/** Levenshtein distance (both strings are short option names). */
const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}

/**
 * The `ValidationError` (code `invalid_option`) for the first key of `input` that `allowed` does not list, or
 * `undefined`. Not an object: `undefined` too (the call's own validation says what it needs).
 */
export const unknownKey = (
  where: string,
  input: unknown,
  allowed: Readonly<Record<string, true>>
): ValidationError | undefined => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined
  for (const key of Object.keys(input)) {
    if (Object.prototype.hasOwnProperty.call(allowed, key)) continue
    const known = Object.keys(allowed)
    const close = suggestion(key, known)
    return new ValidationError({
      code: "invalid_option",
      field: key,
      message: `Unknown option ${JSON.stringify(key)} in ${where}` +
        (close === undefined ? "." : `: did you mean ${JSON.stringify(close)}?`) +
        ` Known options: ${known.join(", ")}.`
    })
  }
  return undefined
}

/** Throws the `ValidationError` for an unknown key of `createHookwire`'s options or of its `http` / `dispatcher`. */
export const checkConstruction = (options: unknown): void => {
  const error = unknownKey("createHookwire", options, construction.createHookwire) ??
    unknownKey("createHookwire's http", (options as { http?: unknown } | undefined)?.http, construction.http) ??
    unknownKey(
      "createHookwire's dispatcher",
      (options as { dispatcher?: unknown } | undefined)?.dispatcher,
      construction.dispatcher
    )
  const retention = error ?? unknownKey(
    "createHookwire's retention",
    (options as { retention?: unknown } | undefined)?.retention,
    construction.retention
  )
  if (retention !== undefined) throw retention
}

/**
 * Makes every call of a Promise API object reject an input with an unknown key (`publishMany` checks each message,
 * naming it `messages[i]`). Changes `hookwire` in place and returns it.
 */
export const guard = <H extends object>(hookwire: H): H => {
  const target = hookwire as unknown as Record<string, Record<string, (...args: Array<unknown>) => unknown>>
  for (const [name, allowed] of Object.entries(calls)) {
    const [group, method] = name.includes(".") ? name.split(".") : [undefined, name]
    const owner: Record<string, (...args: Array<unknown>) => unknown> = group === undefined
      ? (target as unknown as Record<string, (...args: Array<unknown>) => unknown>)
      : target[group]
    const call = owner[method]
    owner[method] = (input, ...rest) => {
      const error = unknownKey(name, input, allowed)
      return error === undefined ? call(input, ...rest) : Promise.reject(error)
    }
  }
  const publishMany = target.publishMany as unknown as (inputs: unknown, ...rest: Array<unknown>) => unknown
  ;(target as unknown as Record<string, unknown>).publishMany = (inputs: unknown, ...rest: Array<unknown>) => {
    if (Array.isArray(inputs)) {
      for (let i = 0; i < inputs.length; i++) {
        const error = unknownKey(`publishMany messages[${i}]`, inputs[i], calls.publish)
        if (error !== undefined) return Promise.reject(error)
      }
    }
    return publishMany(inputs, ...rest)
  }
  return hookwire
}
