/**
 * The sending API: endpoint management, typed publish, and the delivery log with retry and recovery. Every
 * operation is tenant-scoped: a record of another tenant is reported as not found. Secrets are returned exactly
 * once (at creation and rotation) as `Redacted` values and never by get or list.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as CircuitBreaker from "./CircuitBreaker.js"
import {
  EndpointLimitExceeded,
  EventTypeError,
  InvalidState,
  NotFound,
  QueueError,
  StorageError,
  ValidationError
} from "./Errors.js"
import * as Id from "./Id.js"
import * as attemptInternal from "./internal/attempt.js"
import * as metrics from "./internal/metrics.js"
import * as validate from "./internal/validate.js"
import * as views from "./internal/views.js"
import * as endpointWrites from "./internal/webhooks/endpointWrites.js"
import * as guard from "./internal/webhooks/guard.js"
import * as manualAttempt from "./internal/webhooks/manualAttempt.js"
import * as recoverOperation from "./internal/webhooks/recover.js"
import * as resendOperation from "./internal/webhooks/resend.js"
import * as statsOperation from "./internal/webhooks/stats.js"
import * as testSendOperation from "./internal/webhooks/testSend.js"
import * as wholeMs from "./internal/wholeMs.js"
import * as Model from "./Model.js"
import { OperationalEvents } from "./OperationalEvents.js"
import { Queue } from "./Queue.js"
import * as RateLimiter from "./RateLimiter.js"
import * as RetryPolicy from "./RetryPolicy.js"
import { Settings } from "./Settings.js"
import { type InsertMessageResult, type NewMessage, Storage } from "./Storage.js"
import { Transport } from "./Transport.js"
import type * as Views from "./Views.js"

// ---------------------------------------------------------------------------------------------------------------
// Views and inputs
// ---------------------------------------------------------------------------------------------------------------

/**
 * An endpoint as the API returns it: never with its secrets.
 *
 * @since 0.1.0
 * @category models
 */
export interface Endpoint {
  readonly id: string
  readonly tenant: string
  readonly url: string
  readonly name: string | null
  readonly description: string | null
  readonly eventTypes: ReadonlyArray<string>
  readonly channels: ReadonlyArray<string>
  readonly headers: Readonly<Record<string, string>>
  readonly metadata: Readonly<Record<string, string>>
  readonly disabled: boolean
  readonly disabledReason: string | null
  readonly disabledAt: Date | null
  readonly timeoutMs: number | null
  readonly retryPolicy: Model.RetryPolicySpec | null
  readonly scheme: string | null
  readonly rateLimit: { readonly perSecond: number; readonly burst: number } | null
  readonly fifo: boolean
  /** The endpoint's circuit breaker override: null = the engine's, false = off. */
  readonly circuitBreaker: Model.CircuitBreakerSpec | false | null
  readonly health: EndpointHealthView
  readonly createdAt: Date
  readonly updatedAt: Date
}

/**
 * How an endpoint is doing.
 *
 * @since 0.1.0
 * @category models
 */
export interface EndpointHealthView {
  /** When the current run of failures began; null when its last attempt succeeded. */
  readonly failingSince: Date | null
  readonly consecutiveFailures: number
  readonly circuit: {
    readonly state: Model.CircuitState
    readonly openedAt: Date | null
    /** While open: when the next probe may go. */
    readonly retryAt: Date | null
  }
}

/**
 * Per-endpoint delivery options accepted by create and update.
 *
 * @since 0.1.0
 * @category models
 */
export interface EndpointOptionsInput {
  /** At most `perSecond` attempts per second, `burst` at once (default 1). Deliveries beyond wait; never fail. */
  readonly rateLimit?: { readonly perSecond: number; readonly burst?: number | undefined } | null | undefined
  /** Deliver in publish order (head-of-line: the next message waits for the previous one to finish). */
  readonly fifo?: boolean | undefined
  /** Circuit breaker for this endpoint: options, `false` = off, null = the engine's. */
  readonly circuitBreaker?: CircuitBreaker.Options | false | null | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Message {
  readonly id: string
  readonly tenant: string
  readonly type: string
  /** The exact body sent to every endpoint. */
  readonly body: string
  readonly channels: ReadonlyArray<string>
  readonly idempotencyKey: string | null
  readonly createdAt: Date
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Delivery {
  readonly id: string
  readonly tenant: string
  readonly messageId: string
  readonly endpointId: string
  readonly status: Model.DeliveryStatus
  readonly attempts: number
  readonly nextAttemptAt: Date | null
  readonly lastAttemptAt: Date | null
  readonly lastResponseStatus: number | null
  readonly lastError: Model.TransportErrorKind | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Attempt {
  readonly id: string
  readonly tenant: string
  readonly deliveryId: string
  readonly messageId: string
  readonly endpointId: string
  readonly attempt: number
  readonly trigger: Model.AttemptTrigger
  readonly url: string
  readonly startedAt: Date
  readonly durationMs: number
  readonly responseStatus: number | null
  readonly responseBody: string | null
  readonly errorKind: Model.TransportErrorKind | null
  readonly errorMessage: string | null
  /** The request's headers without the signature (see `Model.AttemptRecord`); null on older records. */
  readonly requestHeaders: Readonly<Record<string, string>> | null
  /** The response's headers; null when there was no response (or on older records). */
  readonly responseHeaders: Readonly<Record<string, string>> | null
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateEndpoint extends EndpointOptionsInput {
  readonly tenant: string
  readonly url: string
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** Exact names and `prefix.*` wildcards; empty or absent = every type. */
  readonly eventTypes?: ReadonlyArray<string> | undefined
  readonly channels?: ReadonlyArray<string> | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly metadata?: Readonly<Record<string, string>> | undefined
  readonly timeoutMs?: number | undefined
  readonly retryPolicy?: RetryPolicy.RetryPolicy | Model.RetryPolicySpec | undefined
  /** Name of a scheme registered in the engine's `schemes`. */
  readonly scheme?: string | undefined
  /** Bring your own secret (e.g. when migrating); default: a new one. */
  readonly secret?: string | Redacted.Redacted<string> | undefined
  readonly disabled?: boolean | undefined
}

/**
 * Fields to change; `null` clears an optional field.
 *
 * @since 0.1.0
 * @category models
 */
export interface UpdateEndpoint extends EndpointOptionsInput {
  readonly tenant: string
  readonly id: string
  readonly url?: string | undefined
  readonly name?: string | null | undefined
  readonly description?: string | null | undefined
  readonly eventTypes?: ReadonlyArray<string> | undefined
  readonly channels?: ReadonlyArray<string> | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly metadata?: Readonly<Record<string, string>> | undefined
  readonly timeoutMs?: number | null | undefined
  readonly retryPolicy?: RetryPolicy.RetryPolicy | Model.RetryPolicySpec | null | undefined
  readonly scheme?: string | null | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PublishInput {
  readonly tenant: string
  readonly type: string
  readonly data: unknown
  /** Endpoints with channels only receive messages carrying at least one of them. */
  readonly channels?: ReadonlyArray<string> | undefined
  /** A repeated publish with the same key returns the first message and creates no deliveries. */
  readonly idempotencyKey?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PublishResult {
  readonly message: Message
  /** How many deliveries this publish created (0 for a duplicate). */
  readonly deliveries: number
  /** True when the idempotency key was seen before: `message` is the first one. */
  readonly duplicate: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ListOptions {
  readonly limit?: number | undefined
  readonly cursor?: string | undefined
  /** `asc` (default): oldest first. `desc`: newest first (a log). The cursor pages on in the same order. */
  readonly order?: "asc" | "desc" | undefined
}

/**
 * A time bound: a `Date`, an ISO-8601 string or epoch milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export type TimeInput = Date | string | number

/**
 * The most messages one `publishMany` call takes.
 *
 * @since 0.2.0
 * @category constants
 */
export const MAX_PUBLISH_BATCH = 1000

const noChannels: ReadonlySet<string> = new Set()

/**
 * @since 0.1.0
 * @category models
 */
export type WebhooksError = StorageError | QueueError | ValidationError

// ---------------------------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category tags
 */
export class Webhooks extends Context.Tag("@hookwire/core/Webhooks")<Webhooks, {
  readonly endpoints: {
    readonly create: (
      input: CreateEndpoint
    ) => Effect.Effect<Endpoint & { readonly secret: Redacted.Redacted<string> }, WebhooksError | EndpointLimitExceeded>
    readonly get: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<Endpoint, WebhooksError | NotFound>
    readonly list: (
      input: { readonly tenant: string } & ListOptions
    ) => Effect.Effect<Model.Page<Endpoint>, WebhooksError>
    readonly update: (input: UpdateEndpoint) => Effect.Effect<Endpoint, WebhooksError | NotFound>
    readonly delete: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<void, WebhooksError | NotFound>
    readonly enable: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<Endpoint, WebhooksError | NotFound>
    readonly disable: (
      input: { readonly tenant: string; readonly id: string; readonly reason?: string | undefined }
    ) => Effect.Effect<Endpoint, WebhooksError | NotFound>
    /** A new secret, returned once; the previous ones keep signing for `grace` (default: the engine's, 24 h). */
    readonly rotateSecret: (
      input: {
        readonly tenant: string
        readonly id: string
        readonly grace?: Duration.DurationInput | undefined
        readonly secret?: string | Redacted.Redacted<string> | undefined
      }
    ) => Effect.Effect<{ readonly secret: Redacted.Redacted<string> }, WebhooksError | NotFound>
    /**
     * Sends one test message to this endpoint only, now: the event type's first catalog example (or `data`), one
     * attempt with trigger `test`, never retried. The message and delivery appear in the logs like any other.
     */
    readonly test: (
      input: { readonly tenant: string; readonly id: string; readonly type: string; readonly data?: unknown }
    ) => Effect.Effect<Views.TestSendResult, WebhooksError | NotFound | InvalidState | EventTypeError>
    /** Attempts and deliveries by outcome over the last hour, day and week; the latest attempt; current health. */
    readonly stats: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<Views.EndpointStats, WebhooksError | NotFound>
  }
  readonly publish: (input: PublishInput) => Effect.Effect<PublishResult, WebhooksError | EventTypeError>
  /**
   * Publishes a batch (at most 1,000 messages) in as few storage round trips as the adapter allows: every input is
   * validated first (one bad input publishes none, and its error names its index as `messages[i]`), each tenant's
   * endpoints are read once, and the messages are inserted together — atomically on the memory and Postgres
   * adapters. Results are in input order; an idempotency key repeated within the batch makes the later ones
   * duplicates of the first.
   */
  readonly publishMany: (
    inputs: ReadonlyArray<PublishInput>
  ) => Effect.Effect<ReadonlyArray<PublishResult>, WebhooksError | EventTypeError>
  readonly messages: {
    readonly get: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<Message, WebhooksError | NotFound>
    readonly list: (
      input: {
        readonly tenant: string
        readonly type?: string | undefined
        readonly since?: TimeInput | undefined
        readonly until?: TimeInput | undefined
      } & ListOptions
    ) => Effect.Effect<Model.Page<Message>, WebhooksError>
    /** Delivers a stored message again to one endpoint of its tenant: a new delivery, queued now. */
    readonly resend: (
      input: { readonly tenant: string; readonly id: string; readonly endpointId: string }
    ) => Effect.Effect<Delivery, WebhooksError | NotFound | InvalidState>
  }
  readonly deliveries: {
    readonly get: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<Delivery, WebhooksError | NotFound>
    readonly list: (
      input: {
        readonly tenant: string
        readonly endpointId?: string | undefined
        readonly messageId?: string | undefined
        readonly status?: Model.DeliveryStatus | undefined
        readonly since?: TimeInput | undefined
        readonly until?: TimeInput | undefined
      } & ListOptions
    ) => Effect.Effect<Model.Page<Delivery>, WebhooksError>
    readonly attempts: (
      input: {
        readonly tenant: string
        readonly deliveryId?: string | undefined
        readonly endpointId?: string | undefined
        readonly messageId?: string | undefined
        readonly since?: TimeInput | undefined
        readonly until?: TimeInput | undefined
      } & ListOptions
    ) => Effect.Effect<Model.Page<Attempt>, WebhooksError>
    /**
     * Retry one delivery now. A pending delivery is moved to the front of the queue; a failed, delivered or
     * cancelled one gets one immediate attempt (trigger `manual`) whose result becomes its status.
     */
    readonly retry: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<Delivery, WebhooksError | NotFound | InvalidState>
    /**
     * Re-enqueue every failed delivery of an endpoint created at or after `since` (and before `until` when given).
     * Returns how many.
     */
    readonly recover: (
      input: {
        readonly tenant: string
        readonly endpointId: string
        readonly since: TimeInput
        readonly until?: TimeInput | undefined
      }
    ) => Effect.Effect<{ readonly recovered: number }, WebhooksError | NotFound>
  }
  readonly maintenance: {
    /**
     * Re-seals every endpoint secret that is stored unsealed or sealed with a key other than the current master
     * key, in batches of `batchSize` endpoints (default 500). Run it after putting a new master key first; remove
     * the old key once it reports nothing left. Returns how many endpoints were scanned and re-sealed.
     */
    readonly resealSecrets: (
      options?: { readonly batchSize?: number | undefined }
    ) => Effect.Effect<{ readonly scanned: number; readonly resealed: number }, WebhooksError>
  }
}>() {}

const endpointNotFound = (id: string) =>
  new NotFound({ code: "endpoint_not_found", id, message: `No endpoint ${id} for this tenant` })

const specOf = (
  input: RetryPolicy.RetryPolicy | Model.RetryPolicySpec | null | undefined
): Effect.Effect<Model.RetryPolicySpec | null, ValidationError> => {
  if (input === undefined || input === null) return Effect.succeed(null)
  const spec = "spec" in input ? input.spec : input
  return Effect.try({
    try: () => RetryPolicy.fromSpec(spec).spec,
    catch: (error) =>
      new ValidationError({
        code: "invalid_option",
        field: "retryPolicy",
        message: `retryPolicy is invalid: ${error instanceof Error ? error.message : String(error)}`
      })
  })
}

const invalidOption = (field: string, error: unknown) =>
  new ValidationError({
    code: "invalid_option",
    field,
    message: error instanceof Error ? error.message : String(error)
  })

const resolveOptions = (
  input: EndpointOptionsInput,
  current: Model.EndpointOptions
): Effect.Effect<Model.EndpointOptions, ValidationError> =>
  Effect.try({
    try: () => {
      let rateLimit = current.rateLimit
      if (input.rateLimit !== undefined) {
        rateLimit = input.rateLimit === null
          ? null
          : RateLimiter.validate({ perSecond: input.rateLimit.perSecond, burst: input.rateLimit.burst ?? 1 })
      }
      let circuitBreaker = current.circuitBreaker
      if (input.circuitBreaker !== undefined) {
        circuitBreaker = input.circuitBreaker === null || input.circuitBreaker === false
          ? input.circuitBreaker
          : CircuitBreaker.resolve(input.circuitBreaker)
      }
      if (input.fifo !== undefined && typeof input.fifo !== "boolean") throw new Error("fifo must be true or false")
      return { rateLimit, circuitBreaker, fifo: input.fifo ?? current.fifo }
    },
    catch: (error) =>
      invalidOption(
        input.rateLimit !== undefined && String(error).includes("rate limit") ? "rateLimit" : "options",
        error
      )
  })

/**
 * Builds the service from Settings, Storage, Queue, Transport and OperationalEvents.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const settings = yield* Settings
  const storage = yield* Storage
  const queue = yield* Queue
  const transport = yield* Transport
  const events = yield* OperationalEvents
  if (!settings.secrets.sealed) {
    yield* Effect.logWarning(
      "No master key configured: endpoint secrets are stored unencrypted. Set masterKeys (HOOKWIRE_MASTER_KEYS) " +
        "to seal them with AES-256-GCM."
    )
  }

  const secretValue = (
    input: string | Redacted.Redacted<string> | undefined,
    scheme: string | null
  ): Effect.Effect<string, ValidationError> => {
    if (input === undefined) return Effect.sync(settings.generateSecret)
    const value = Redacted.isRedacted(input) ? Redacted.value(input) : input
    // Check the secret by signing with it once: a malformed secret fails here, never later as a silent mismatch.
    const chosen = (scheme !== null ? settings.schemes.get(scheme) : undefined) ?? settings.scheme
    const invalid = (why: string) =>
      new ValidationError({
        code: "invalid_secret",
        field: "secret",
        message: `secret is not valid for the ${chosen.name} scheme: ${why}`
      })
    if (typeof value !== "string" || value.length === 0) return Effect.fail(invalid("give a non-empty string"))
    const problem = validate.secretProblem(value, chosen.name)
    if (problem !== undefined) return Effect.fail(invalid(problem))
    return Effect.try({
      try: () => {
        chosen.sign({ id: "msg_check", timestamp: 0, body: "", secrets: [value] })
        return value
      },
      catch: () =>
        invalid(
          chosen.name === "standard" ? "use whsec_ followed by base64 of 24 to 64 random bytes" : "it cannot sign"
        )
    })
  }

  const schemeName = (value: unknown): Effect.Effect<string | null, ValidationError> =>
    value === undefined || value === null
      ? Effect.succeed(null)
      : typeof value === "string" && settings.schemes.has(value)
      ? Effect.succeed(value)
      : Effect.fail(
        new ValidationError({
          code: "invalid_option",
          field: "scheme",
          message: `scheme ${JSON.stringify(value)} is not registered; known: ${
            [...settings.schemes.keys()].join(", ") || "(none)"
          }`
        })
      )

  const load = (tenant: string, id: string) =>
    Effect.flatMap(
      storage.getEndpoint(tenant, id),
      (record) => (record === undefined ? Effect.fail(endpointNotFound(id)) : Effect.succeed(record))
    )

  // An expected warning (the host allowed http): at `warn` once per engine, then at `debug` for each endpoint.
  let warnedInsecure = false
  const warnInsecure = (tenant: string, url: string) =>
    Effect.suspend(() => {
      const first = !warnedInsecure
      warnedInsecure = true
      return first
        ? Effect.logWarning(
          "endpoint URL uses http: deliveries to it are not encrypted (allowHttp is on; said once per engine, later " +
            "http endpoints are logged at debug)"
        )
        : Effect.logDebug("endpoint URL uses http: deliveries to it are not encrypted")
    }).pipe(Effect.annotateLogs({ tenant, url }))

  const create = Effect.fn("Webhooks.endpoints.create")(function*(input: CreateEndpoint) {
    const tenant = yield* validate.tenant(input.tenant)
    const { insecure, url } = yield* validate.url(input.url, settings)
    const scheme = yield* schemeName(input.scheme)
    const record: Model.EndpointRecord = {
      id: "",
      tenant,
      url,
      name: yield* validate.optionalText(input.name, "name", validate.LIMITS.nameLength),
      description: yield* validate.optionalText(input.description, "description", validate.LIMITS.descriptionLength),
      eventTypes: yield* validate.eventTypes(input.eventTypes, settings.catalog),
      channels: yield* validate.channels(input.channels, "channels"),
      headers: yield* validate.headers(input.headers, settings),
      metadata: yield* validate.metadata(input.metadata),
      disabled: input.disabled === true,
      disabledReason: input.disabled === true ? "disabled at creation" : null,
      disabledAt: null,
      timeoutMs: yield* validate.timeoutMs(input.timeoutMs, 60_000),
      retryPolicy: yield* specOf(input.retryPolicy),
      scheme,
      secrets: [],
      options: yield* resolveOptions(input, Model.defaultOptions),
      health: Model.healthy,
      createdAt: 0,
      updatedAt: 0
    }
    const secret = yield* secretValue(input.secret, scheme)
    const limit = yield* settings.endpointLimit(tenant)
    const now = yield* Clock.currentTimeMillis
    const id = Id.make("ep", now)
    const endpoint: Model.EndpointRecord = {
      ...record,
      id,
      disabledAt: record.disabled ? now : null,
      secrets: [{ value: settings.secrets.seal({ tenant, id }, secret), createdAt: now, expiresAt: null }],
      createdAt: now,
      updatedAt: now
    }
    const limitError = new EndpointLimitExceeded({
      code: "endpoint_limit_exceeded",
      tenant,
      limit,
      message: limit === 0
        ? `Tenant ${tenant} may not create endpoints (its limit is 0); upgrade its plan first`
        : `Tenant ${tenant} already has its limit of ${limit} endpoints; delete one or raise the limit`
    })
    if (!(limit > 0)) return yield* limitError
    if (Number.isFinite(limit)) {
      if (!(yield* storage.insertEndpointWithin(endpoint, limit))) return yield* limitError
    } else {
      yield* storage.insertEndpoint(endpoint)
    }
    if (insecure) yield* warnInsecure(tenant, url)
    return { ...views.endpoint(endpoint), secret: Redacted.make(secret) }
  })

  const update = Effect.fn("Webhooks.endpoints.update")(function*(input: UpdateEndpoint) {
    const tenant = yield* validate.tenant(input.tenant)
    const current = yield* load(tenant, input.id)
    let next: Model.EndpointRecord = { ...current }
    let insecure = false
    if (input.url !== undefined) {
      const checked = yield* validate.url(input.url, settings)
      next = { ...next, url: checked.url }
      insecure = checked.insecure
    }
    if (input.name !== undefined) {
      next = { ...next, name: yield* validate.optionalText(input.name, "name", validate.LIMITS.nameLength) }
    }
    if (input.description !== undefined) {
      next = {
        ...next,
        description: yield* validate.optionalText(input.description, "description", validate.LIMITS.descriptionLength)
      }
    }
    if (input.eventTypes !== undefined) {
      next = { ...next, eventTypes: yield* validate.eventTypes(input.eventTypes, settings.catalog) }
    }
    if (input.channels !== undefined) next = { ...next, channels: yield* validate.channels(input.channels, "channels") }
    if (input.headers !== undefined) next = { ...next, headers: yield* validate.headers(input.headers, settings) }
    if (input.metadata !== undefined) next = { ...next, metadata: yield* validate.metadata(input.metadata) }
    if (input.timeoutMs !== undefined) next = { ...next, timeoutMs: yield* validate.timeoutMs(input.timeoutMs, 60_000) }
    if (input.retryPolicy !== undefined) next = { ...next, retryPolicy: yield* specOf(input.retryPolicy) }
    if (input.scheme !== undefined) next = { ...next, scheme: yield* schemeName(input.scheme) }
    next = { ...next, options: yield* resolveOptions(input, next.options) }
    next = { ...next, updatedAt: yield* Clock.currentTimeMillis }
    // Only the fields this update changed: never the disabled state, health or secrets other writers own.
    const patched = yield* storage.patchEndpoint(tenant, current.id, endpointWrites.changes(current, next))
    if (patched === undefined) return yield* endpointNotFound(current.id)
    const view = views.endpoint(patched)
    if (insecure) yield* warnInsecure(tenant, next.url)
    return view
  })

  const setDisabled = (tenant: string, id: string, disabled: boolean, reason: string | null) =>
    Effect.gen(function*() {
      const current = yield* load(yield* validate.tenant(tenant), id)
      const now = yield* Clock.currentTimeMillis
      if (current.disabled === disabled) return views.endpoint(current)
      const patched = yield* storage.patchEndpoint(tenant, id, {
        disabled,
        disabledReason: disabled ? reason : null,
        disabledAt: disabled ? now : null,
        // Re-enabling starts with a clean record: an old failure run must not disable it again at once.
        ...(disabled ? {} : { health: Model.healthy }),
        updatedAt: now
      })
      if (patched === undefined) return yield* endpointNotFound(id)
      if (disabled) {
        // A disabled endpoint gets nothing: its pending deliveries fail now (recover them after re-enabling).
        const failed = yield* storage.transitionEndpointDeliveries(tenant, id, {
          from: ["pending"],
          to: "failed",
          since: 0,
          nextAttemptAt: null,
          now
        })
        if (failed.length > 0) yield* queue.remove(failed)
      }
      yield* events.publish(
        disabled
          ? { type: "endpoint.disabled", tenant, endpointId: id, reason: reason ?? "disabled", at: new Date(now) }
          : { type: "endpoint.recovered", tenant, endpointId: id, reason: "enabled", at: new Date(now) }
      )
      return views.endpoint(patched)
    })

  const rotateSecret = Effect.fn("Webhooks.endpoints.rotateSecret")(function*(input: {
    readonly tenant: string
    readonly id: string
    readonly grace?: Duration.DurationInput | undefined
    readonly secret?: string | Redacted.Redacted<string> | undefined
  }) {
    const tenant = yield* validate.tenant(input.tenant)
    const current = yield* load(tenant, input.id)
    const graceMs = input.grace === undefined
      ? settings.rotationGraceMs
      : Option.getOrUndefined(
        Option.map(Duration.decodeUnknown(input.grace), (d) => wholeMs.ceil(Duration.toMillis(d)))
      )
    if (graceMs === undefined || !(graceMs >= 0 && Number.isFinite(graceMs))) {
      return yield* new ValidationError({
        code: "invalid_option",
        field: "grace",
        message: "grace must be a finite, non-negative duration, like \"24 hours\""
      })
    }
    const secret = yield* secretValue(input.secret, current.scheme)
    const now = yield* Clock.currentTimeMillis
    const expiresAt = now + graceMs
    // A compare-and-set on the secrets: a rotation racing another (or a re-seal) re-reads and keeps theirs.
    const sealed = settings.secrets.seal(current, secret)
    const written = yield* endpointWrites.swapSecrets(storage, tenant, current.id, (fresh) => {
      const previous = fresh.secrets
        .filter((s) => s.expiresAt === null || s.expiresAt > now)
        .map((s) => ({ ...s, expiresAt: s.expiresAt === null ? expiresAt : Math.min(s.expiresAt, expiresAt) }))
        .filter((s) => s.expiresAt > now)
      return [...previous, { value: sealed, createdAt: now, expiresAt: null }]
    }, now)
    if (written === undefined) return yield* endpointNotFound(current.id)
    return { secret: Redacted.make(secret) }
  })

  /**
   * Validates a publish and builds its message (the body is serialised once, here). Synchronous — the message, or
   * the input error — rather than an effect: it runs once per published message, and the checks never suspend.
   */
  const prepare = (input: PublishInput, now: number): Model.MessageRecord | ValidationError | EventTypeError => {
    if (typeof input !== "object" || input === null) {
      return new ValidationError({
        code: "invalid_option",
        field: "message",
        message: `a message to publish is an object { tenant, type, data, channels?, idempotencyKey? }; got ${
          input === null ? "null" : typeof input
        }`
      })
    }
    const tenant = validate.checkTenant(input.tenant)
    if (typeof tenant !== "string") return tenant
    if (typeof input.type !== "string") {
      return new EventTypeError({
        code: "unknown_event_type",
        type: String(input.type),
        message: "type must be a string naming an event type of the catalog"
      })
    }
    const encoded = settings.catalog.encode(input.type, input.data)
    if (Either.isLeft(encoded)) return encoded.left
    const data = encoded.right
    // No channels is the common case (and what `validate.channels` makes of `undefined`).
    const channels = input.channels === undefined ? [] : validate.checkChannels(input.channels, "channels")
    if (channels instanceof ValidationError) return channels
    const idempotencyKey = validate.checkIdempotencyKey(input.idempotencyKey)
    if (idempotencyKey instanceof ValidationError) return idempotencyKey
    const id = Id.make("msg", now)
    let body: string | undefined
    try {
      body = JSON.stringify(settings.envelope({ id, type: input.type, timestamp: new Date(now), data }))
    } catch (error) {
      return new ValidationError({
        code: "invalid_option",
        field: "data",
        message: `the message could not be serialised as JSON: ${
          error instanceof Error ? error.message : String(error)
        }`
      })
    }
    if (typeof body !== "string") {
      return new ValidationError({
        code: "invalid_option",
        field: "envelope",
        message: "the envelope returned a value that JSON cannot represent"
      })
    }
    // A UTF-16 code unit takes at most 3 bytes in UTF-8: a body short enough is within the limit without counting.
    if (
      body.length * 3 > settings.maxPayloadBytes &&
      (body.length > settings.maxPayloadBytes || Buffer.byteLength(body) > settings.maxPayloadBytes)
    ) {
      return new ValidationError({
        code: "payload_too_large",
        field: "data",
        message: `the message body is ${Buffer.byteLength(body)} bytes; the limit is ${settings.maxPayloadBytes}. ` +
          `Send a smaller payload (e.g. an id the receiver can fetch) or raise maxPayloadBytes`
      })
    }
    const message: Model.MessageRecord = {
      id,
      tenant,
      type: input.type,
      body,
      channels,
      idempotencyKey,
      createdAt: now
    }
    return message
  }
  const isInputError = (
    prepared: Model.MessageRecord | ValidationError | EventTypeError
  ): prepared is ValidationError | EventTypeError =>
    prepared instanceof ValidationError || prepared instanceof EventTypeError

  /** A pending delivery, due now, for every endpoint whose filter and channels match the message. */
  const fanOut = (message: Model.MessageRecord, endpoints: ReadonlyArray<Model.EndpointRecord>) => {
    const now = message.createdAt
    // Most messages have no channels: they share one empty set (`validate.matches` only reads it).
    const messageChannels = message.channels.length === 0 ? noChannels : new Set(message.channels)
    const deliveries: Array<Model.DeliveryRecord> = []
    for (const endpoint of endpoints) {
      if (!validate.matches(endpoint, message.type, messageChannels)) continue
      deliveries.push({
        id: Id.make("dlv", now),
        tenant: message.tenant,
        messageId: message.id,
        endpointId: endpoint.id,
        status: "pending",
        attempts: 0,
        nextAttemptAt: now,
        lastAttemptAt: null,
        lastResponseStatus: null,
        lastError: null,
        createdAt: now,
        updatedAt: now
      })
    }
    return deliveries
  }

  /** Queues what the adapter did not queue itself, and counts what was published. */
  const afterInsert = (inserted: ReadonlyArray<InsertMessageResult>, now: number) =>
    Effect.gen(function*() {
      const toQueue: Array<{ readonly id: string; readonly runAt: number }> = []
      let created = 0
      let deliveries = 0
      for (const result of inserted) {
        if (!result.created) continue
        created++
        deliveries += result.deliveries.length
        if (result.queued === true) continue
        for (const delivery of result.deliveries) toQueue.push({ id: delivery.id, runAt: now })
      }
      if (toQueue.length > 0) yield* queue.enqueue(toQueue)
      // `metrics.published`, in one step.
      yield* attemptInternal.updateMetrics((labels) => {
        metrics.messagesPublished.unsafeUpdate(created, labels)
        metrics.deliveriesCreated.unsafeUpdate(deliveries, labels)
      })
    })

  const resultOf = (inserted: InsertMessageResult): PublishResult =>
    inserted.created
      ? { message: views.message(inserted.message), deliveries: inserted.deliveries.length, duplicate: false }
      : { message: views.message(inserted.message), deliveries: 0, duplicate: true }

  const publishUntraced = Effect.fnUntraced(function*(input: PublishInput) {
    const now = yield* Clock.currentTimeMillis
    const message = prepare(input, now)
    if (isInputError(message)) return yield* message
    const deliveries = fanOut(message, yield* storage.enabledEndpoints(message.tenant))
    // Insert, then enqueue: uninterruptible, or an interruption between the two would strand the deliveries.
    const inserted = yield* Effect.uninterruptible(
      Effect.tap(storage.insertMessage(message, deliveries), (inserted) => afterInsert([inserted], now))
    )
    return resultOf(inserted)
  })
  // The span of every publish: `Effect.withSpan` in fewer steps, without `Effect.fn`'s call-site stack trace
  // (capturing one, an Error per call, cost more than the rest of a memory publish).
  const publish = (input: PublishInput) => attemptInternal.traced(publishUntraced(input), "Webhooks.publish", {})

  /** Says which message of a batch an input error is about. */
  const atIndex = (index: number, error: ValidationError | EventTypeError): ValidationError | EventTypeError =>
    error._tag === "ValidationError"
      ? new ValidationError({ ...error, message: `messages[${index}]: ${error.message}` })
      : new EventTypeError({ ...error, message: `messages[${index}]: ${error.message}` })

  const publishManyUntraced = Effect.fnUntraced(function*(inputs: ReadonlyArray<PublishInput>) {
    if (!Array.isArray(inputs) || inputs.length > MAX_PUBLISH_BATCH) {
      return yield* new ValidationError({
        code: "invalid_option",
        field: "messages",
        message: `publishMany takes an array of at most ${MAX_PUBLISH_BATCH} messages; ` +
          `got ${Array.isArray(inputs) ? `${inputs.length}` : typeof inputs}. Split larger batches`
      })
    }
    const now = yield* Clock.currentTimeMillis
    // Every input is checked before anything is written: one bad message publishes none of the batch.
    const prepared: Array<Model.MessageRecord> = []
    for (let i = 0; i < inputs.length; i++) {
      const message = prepare(inputs[i], now)
      if (isInputError(message)) return yield* atIndex(i, message)
      prepared.push(message)
    }
    const endpointsOf = new Map<string, ReadonlyArray<Model.EndpointRecord>>()
    for (const message of prepared) {
      if (!endpointsOf.has(message.tenant)) {
        endpointsOf.set(message.tenant, yield* storage.enabledEndpoints(message.tenant))
      }
    }
    // A key repeated within the batch: the later messages are duplicates of the first one with it.
    const firstWithKey = new Map<string, number>()
    const sameAs: Array<number> = []
    const batch: Array<NewMessage> = []
    for (const message of prepared) {
      const key = message.idempotencyKey === null ? undefined : `${message.tenant}\u0000${message.idempotencyKey}`
      const first = key === undefined ? undefined : firstWithKey.get(key)
      if (first !== undefined) {
        sameAs.push(first)
        continue
      }
      if (key !== undefined) firstWithKey.set(key, batch.length)
      sameAs.push(batch.length)
      batch.push({ message, deliveries: fanOut(message, endpointsOf.get(message.tenant)!) })
    }
    // Insert, then enqueue: uninterruptible, or an interruption between the two would strand the deliveries.
    const inserted = yield* Effect.uninterruptible(
      Effect.tap(
        storage.insertMessages !== undefined
          ? storage.insertMessages(batch)
          : Effect.forEach(batch, ({ deliveries, message }) => storage.insertMessage(message, deliveries)),
        (inserted) => afterInsert(inserted, now)
      )
    )
    const seen = new Set<number>()
    return sameAs.map((index) => {
      const result = resultOf(inserted[index])
      if (seen.has(index)) return { message: result.message, deliveries: 0, duplicate: true }
      seen.add(index)
      return result
    })
  })
  const publishMany = (inputs: ReadonlyArray<PublishInput>) =>
    attemptInternal.traced(publishManyUntraced(inputs), "Webhooks.publishMany", {
      attributes: { "hookwire.messages": Array.isArray(inputs) ? inputs.length : 0 }
    })

  const retry = Effect.fn("Webhooks.deliveries.retry")(
    function*(input: { readonly tenant: string; readonly id: string }) {
      const tenant = yield* validate.tenant(input.tenant)
      const delivery = yield* storage.getDelivery(tenant, input.id)
      if (delivery === undefined) {
        return yield* new NotFound({
          code: "delivery_not_found",
          id: input.id,
          message: `No delivery ${input.id} for this tenant`
        })
      }
      const now = yield* Clock.currentTimeMillis
      if (delivery.status === "pending") {
        // Already queued: move it to the front (enqueue replaces the run time of a queued id). Both writes or
        // neither's effect lost: uninterruptible.
        const moved = yield* Effect.uninterruptible(
          Effect.zipLeft(
            storage.transitionDelivery(tenant, delivery.id, ["pending"], {
              status: "pending",
              nextAttemptAt: now,
              now
            }),
            queue.enqueue([{ id: delivery.id, runAt: now }])
          )
        )
        return views.delivery(moved ?? delivery)
      }
      const [ctx] = yield* storage.loadForDispatch([delivery.id])
      if (ctx === undefined) {
        return yield* new NotFound({
          code: "endpoint_not_found",
          id: delivery.endpointId,
          message: `The endpoint of delivery ${delivery.id} no longer exists`
        })
      }
      if (ctx.endpoint.disabled) {
        return yield* new InvalidState({
          code: "endpoint_disabled",
          id: ctx.endpoint.id,
          message: `Endpoint ${ctx.endpoint.id} is disabled; enable it before retrying its deliveries`
        })
      }
      // Claimed, sent and recorded with only the send interruptible (see internal/webhooks/manualAttempt.ts).
      return views.delivery(yield* manualAttempt.run({ settings, storage, queue, transport }, ctx, now))
    }
  )

  const deps = { settings, storage, queue, transport }
  const recover = recoverOperation.make(deps)

  const resealSecrets = Effect.fn("Webhooks.maintenance.resealSecrets")(function*(
    options?: { readonly batchSize?: number | undefined }
  ) {
    const box = settings.secrets.box
    if (box === undefined) {
      return yield* new ValidationError({
        code: "invalid_option",
        field: "masterKeys",
        message: "resealSecrets needs a master key: configure masterKeys (HOOKWIRE_MASTER_KEYS) first"
      })
    }
    const batchSize = yield* validate.pageLimit(options?.batchSize ?? 500)
    let scanned = 0
    let resealed = 0
    let after: string | undefined
    while (true) {
      const batch = yield* storage.scanEndpoints(after, batchSize)
      for (const endpoint of batch) {
        scanned++
        if (endpoint.secrets.every((s) => box.keyIdOf(s.value) === box.currentKeyId)) continue
        // Only the secrets, as a compare-and-set: a rotation or an update meanwhile is not undone.
        let changed = false
        yield* endpointWrites.swapSecrets(storage, endpoint.tenant, endpoint.id, (fresh) => {
          if (fresh.secrets.every((s) => box.keyIdOf(s.value) === box.currentKeyId)) return undefined
          changed = true
          return fresh.secrets.map((s) =>
            box.keyIdOf(s.value) === box.currentKeyId
              ? s
              : { ...s, value: settings.secrets.seal(fresh, settings.secrets.open(fresh, s.value)) }
          )
        })
        if (changed) resealed++
      }
      if (batch.length < batchSize) break
      after = batch[batch.length - 1]!.id
    }
    return { scanned, resealed }
  }, (effect) =>
    Effect.catchAllDefect(effect, (defect) =>
      Effect.fail(
        new ValidationError({
          code: "invalid_option",
          field: "masterKeys",
          message: `resealSecrets stopped: ${defect instanceof Error ? defect.message : String(defect)}`
        })
      )))

  const page = <A, B>(p: Model.Page<A>, f: (a: A) => B): Model.Page<B> => ({
    items: p.items.map(f),
    nextCursor: p.nextCursor
  })

  const service: Webhooks["Type"] = {
    endpoints: {
      create,
      get: (input) =>
        Effect.flatMap(validate.tenant(input.tenant), (tenant) => Effect.map(load(tenant, input.id), views.endpoint)),
      list: (input) =>
        Effect.gen(function*() {
          const tenant = yield* validate.tenant(input.tenant)
          const limit = yield* validate.pageLimit(input.limit)
          const cursor = yield* validate.cursor(input.cursor)
          const order = yield* validate.order(input.order)
          return page(yield* storage.listEndpoints(tenant, { limit, cursor, order }), views.endpoint)
        }),
      update,
      delete: (input) =>
        Effect.gen(function*() {
          const tenant = yield* validate.tenant(input.tenant)
          const now = yield* Clock.currentTimeMillis
          if (!(yield* storage.deleteEndpoint(tenant, input.id, now))) return yield* endpointNotFound(input.id)
        }),
      enable: (input) => setDisabled(input.tenant, input.id, false, null),
      disable: (input) => setDisabled(input.tenant, input.id, true, input.reason ?? "disabled manually"),
      rotateSecret,
      test: testSendOperation.make(deps),
      stats: statsOperation.make(deps)
    },
    publish,
    publishMany,
    messages: {
      get: (input) =>
        Effect.gen(function*() {
          const record = yield* storage.getMessage(yield* validate.tenant(input.tenant), input.id)
          if (record === undefined) {
            return yield* new NotFound({
              code: "message_not_found",
              id: input.id,
              message: `No message ${input.id} for this tenant`
            })
          }
          return views.message(record)
        }),
      list: (input) =>
        Effect.gen(function*() {
          const tenant = yield* validate.tenant(input.tenant)
          return page(
            yield* storage.listMessages(tenant, {
              limit: yield* validate.pageLimit(input.limit),
              cursor: yield* validate.cursor(input.cursor),
              order: yield* validate.order(input.order),
              type: input.type,
              since: yield* validate.time(input.since, "since"),
              until: yield* validate.time(input.until, "until")
            }),
            views.message
          )
        }),
      resend: resendOperation.make(deps)
    },
    deliveries: {
      get: (input) =>
        Effect.gen(function*() {
          const record = yield* storage.getDelivery(yield* validate.tenant(input.tenant), input.id)
          if (record === undefined) {
            return yield* new NotFound({
              code: "delivery_not_found",
              id: input.id,
              message: `No delivery ${input.id} for this tenant`
            })
          }
          return views.delivery(record)
        }),
      list: (input) =>
        Effect.gen(function*() {
          const tenant = yield* validate.tenant(input.tenant)
          return page(
            yield* storage.listDeliveries(tenant, {
              limit: yield* validate.pageLimit(input.limit),
              cursor: yield* validate.cursor(input.cursor),
              order: yield* validate.order(input.order),
              endpointId: input.endpointId,
              messageId: input.messageId,
              status: input.status,
              since: yield* validate.time(input.since, "since"),
              until: yield* validate.time(input.until, "until")
            }),
            views.delivery
          )
        }),
      attempts: (input) =>
        Effect.gen(function*() {
          const tenant = yield* validate.tenant(input.tenant)
          return page(
            yield* storage.listAttempts(tenant, {
              limit: yield* validate.pageLimit(input.limit),
              cursor: yield* validate.cursor(input.cursor),
              order: yield* validate.order(input.order),
              deliveryId: input.deliveryId,
              endpointId: input.endpointId,
              messageId: input.messageId,
              since: yield* validate.time(input.since, "since"),
              until: yield* validate.time(input.until, "until")
            }),
            views.attempt
          )
        }),
      retry,
      recover
    },
    maintenance: { resealSecrets }
  }
  // Every operation checks its input's shape first (objects, ids, getters): see internal/webhooks/guard.ts.
  return guard.service(service)
})

/**
 * The Webhooks service. Requires Settings, Storage, Queue, Transport and OperationalEvents.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Webhooks, never, Settings | Storage | Queue | Transport | OperationalEvents> = Layer
  .effect(Webhooks, make)
