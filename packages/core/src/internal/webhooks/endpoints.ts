/**
 * The endpoints slice of the Webhooks service: create, read, update, delete, enable and disable endpoints, rotate
 * their secrets, and (from their own modules) test sends and statistics. Writes never undo a concurrent writer's
 * (see `endpointWrites.ts`); a disabled endpoint's pending deliveries fail at once.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { EndpointLimitExceeded, ValidationError } from "../../Errors.js"
import * as Id from "../../Id.js"
import * as Model from "../../Model.js"
import type { OperationalEvent } from "../../OperationalEvents.js"
import * as PayloadFilter from "../../PayloadFilter.js"
import type { CreateEndpoint, UpdateEndpoint, Webhooks } from "../../Webhooks.js"
import { reported } from "../events/reported.js"
import * as validate from "../validate.js"
import * as views from "../views.js"
import * as wholeMs from "../wholeMs.js"
import { type Deps, endpointNotFound, loadEndpoint, page } from "./deps.js"
import * as destinationUrl from "./destinationUrl.js"
import * as endpointInput from "./endpointInput.js"
import * as endpointOAuth2 from "./endpointOAuth2.js"
import * as endpointTls from "./endpointTls.js"
import * as endpointTransport from "./endpointTransport.js"
import * as endpointWrites from "./endpointWrites.js"
import * as stats from "./stats.js"
import * as testSend from "./testSend.js"

/** The slice's operations, as the service exposes them. */
export type Endpoints = Webhooks["Type"]["endpoints"]

/** An expected warning (the host allowed http): at `warn` once per engine, then at `debug` for each endpoint. */
const insecureWarning = () => {
  let warned = false
  return (tenant: string, url: string): Effect.Effect<void> =>
    Effect.suspend(() => {
      const first = !warned
      warned = true
      return first
        ? Effect.logWarning(
          "endpoint URL uses http: deliveries to it are not encrypted (allowHttp is on; said once per engine, later " +
            "http endpoints are logged at debug)"
        )
        : Effect.logDebug("endpoint URL uses http: deliveries to it are not encrypted")
    }).pipe(Effect.annotateLogs({ tenant, url }))
}

type WarnInsecure = ReturnType<typeof insecureWarning>

const limitExceeded = (tenant: string, limit: number) =>
  new EndpointLimitExceeded({
    code: "endpoint_limit_exceeded",
    tenant,
    limit,
    message: limit === 0
      ? `Tenant ${tenant} may not create endpoints (its limit is 0); upgrade its plan first`
      : `Tenant ${tenant} already has its limit of ${limit} endpoints; delete one or raise the limit`
  })

const create = ({ events, settings, storage, transport }: Deps, warnInsecure: WarnInsecure) =>
  Effect.fn("Webhooks.endpoints.create")(function*(input: CreateEndpoint) {
    const tenant = yield* validate.tenant(input.tenant)
    const { insecure, url } = yield* destinationUrl.check(input.url, settings, transport)
    const scheme = yield* endpointInput.schemeName(settings, input.scheme)
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
      retryPolicy: yield* endpointInput.retryPolicySpec(input.retryPolicy),
      scheme,
      secrets: [],
      options: yield* endpointInput.options(input, Model.defaultOptions),
      health: Model.healthy,
      createdAt: 0,
      updatedAt: 0
    }
    const secret = yield* endpointInput.secretValue(settings, input.secret, scheme)
    const sensitiveHeaders = yield* endpointTransport.checkSensitiveHeaders(input.sensitiveHeaders, settings, false)
    const proxy = yield* endpointTransport.checkProxy(input.proxy, settings)
    const tls = yield* endpointTls.check(input.tls)
    const oauth2 = yield* endpointOAuth2.check(input.oauth2, settings)
    const limit = yield* settings.endpointLimit(tenant)
    const now = yield* Clock.currentTimeMillis
    const id = Id.make("ep", now)
    const endpoint: Model.EndpointRecord = {
      ...record,
      id,
      disabledAt: record.disabled ? now : null,
      secrets: [{ value: settings.secrets.seal({ tenant, id }, secret), createdAt: now, expiresAt: null }],
      transport: (yield* endpointTransport.apply(
        settings,
        { tenant, id },
        null,
        { sensitiveHeaders, proxy, tls, oauth2 },
        record.headers
      )) ??
        null,
      createdAt: now,
      updatedAt: now
    }
    if (!(limit > 0)) return yield* limitExceeded(tenant, limit)
    const inserted = yield* reported(
      { events, storage },
      Number.isFinite(limit)
        ? storage.insertEndpointWithin(endpoint, limit)
        : Effect.as(storage.insertEndpoint(endpoint), true),
      (written): ReadonlyArray<OperationalEvent> =>
        written ? [{ type: "endpoint.created", tenant, endpointId: id, at: new Date(now) }] : []
    )
    if (!inserted) return yield* limitExceeded(tenant, limit)
    if (insecure) yield* warnInsecure(tenant, url)
    return { ...views.endpoint(endpoint), secret: Redacted.make(secret) }
  })

const update = ({ events, settings, storage, transport }: Deps, warnInsecure: WarnInsecure) =>
  Effect.fn("Webhooks.endpoints.update")(function*(input: UpdateEndpoint) {
    const tenant = yield* validate.tenant(input.tenant)
    const current = yield* loadEndpoint({ storage }, tenant, input.id)
    let next: Model.EndpointRecord = { ...current }
    let insecure = false
    if (input.url !== undefined) {
      const checked = yield* destinationUrl.check(input.url, settings, transport)
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
    if (input.retryPolicy !== undefined) {
      next = { ...next, retryPolicy: yield* endpointInput.retryPolicySpec(input.retryPolicy) }
    }
    if (input.scheme !== undefined) next = { ...next, scheme: yield* endpointInput.schemeName(settings, input.scheme) }
    next = { ...next, options: yield* endpointInput.options(input, next.options) }
    const transportChanges = {
      sensitiveHeaders: yield* endpointTransport.checkSensitiveHeaders(input.sensitiveHeaders, settings, true),
      proxy: yield* endpointTransport.checkProxy(input.proxy, settings),
      tls: yield* endpointTls.check(input.tls),
      oauth2: yield* endpointOAuth2.check(input.oauth2, settings)
    }
    next = {
      ...next,
      transport: yield* endpointTransport.apply(settings, current, current.transport, transportChanges, next.headers)
    }
    const now = yield* Clock.currentTimeMillis
    // A new filter gets a new version: fan-out keeps compiled filters per (endpoint, updatedAt) (see filters.ts).
    const filterChanged = next.options.filter !== current.options.filter
    next = { ...next, updatedAt: filterChanged ? Math.max(now, current.updatedAt + 1) : now }
    // Only the fields this update changed: never the disabled state, health or secrets other writers own.
    const patched = yield* reported(
      { events, storage },
      storage.patchEndpoint(tenant, current.id, endpointWrites.changes(current, next)),
      (written): ReadonlyArray<OperationalEvent> =>
        written === undefined ?
          [] :
          [{ type: "endpoint.updated", tenant, endpointId: current.id, at: new Date(written.updatedAt) }]
    )
    if (patched === undefined) return yield* endpointNotFound(current.id)
    if (insecure) yield* warnInsecure(tenant, next.url)
    return views.endpoint(patched)
  })

const setDisabled =
  ({ events, queue, storage }: Deps) => (tenant: string, id: string, disabled: boolean, reason: string | null) =>
    Effect.gen(function*() {
      const current = yield* loadEndpoint({ storage }, yield* validate.tenant(tenant), id)
      const now = yield* Clock.currentTimeMillis
      if (current.disabled === disabled) return views.endpoint(current)
      const write = Effect.gen(function*() {
        const patched = yield* storage.patchEndpoint(tenant, id, {
          disabled,
          disabledReason: disabled ? reason : null,
          disabledAt: disabled ? now : null,
          // Re-enabling starts with a clean record: an old failure run must not disable it again at once.
          ...(disabled ? {} : { health: Model.healthy }),
          updatedAt: now
        })
        if (patched !== undefined && disabled) {
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
        return patched
      })
      const patched = yield* reported(
        { events, storage },
        write,
        (written): ReadonlyArray<OperationalEvent> =>
          written === undefined ? [] : [
            disabled
              ? { type: "endpoint.disabled", tenant, endpointId: id, reason: reason ?? "disabled", at: new Date(now) }
              : { type: "endpoint.recovered", tenant, endpointId: id, reason: "enabled", at: new Date(now) }
          ]
      )
      if (patched === undefined) return yield* endpointNotFound(id)
      return views.endpoint(patched)
    })

/** The grace period in whole milliseconds, or undefined when it is not a finite, non-negative duration. */
const graceMs = (settings: Deps["settings"], grace: Duration.DurationInput | undefined): number | undefined => {
  const ms = grace === undefined
    ? settings.rotationGraceMs
    : Option.getOrUndefined(Option.map(Duration.decodeUnknown(grace), (d) => wholeMs.ceil(Duration.toMillis(d))))
  return ms !== undefined && ms >= 0 && Number.isFinite(ms) ? ms : undefined
}

const rotateSecret = ({ settings, storage }: Deps) =>
  Effect.fn("Webhooks.endpoints.rotateSecret")(function*(input: Parameters<Endpoints["rotateSecret"]>[0]) {
    const tenant = yield* validate.tenant(input.tenant)
    const current = yield* loadEndpoint({ storage }, tenant, input.id)
    const grace = graceMs(settings, input.grace)
    if (grace === undefined) {
      return yield* new ValidationError({
        code: "invalid_option",
        field: "grace",
        message: "grace must be a finite, non-negative duration, like \"24 hours\""
      })
    }
    const secret = yield* endpointInput.secretValue(settings, input.secret, current.scheme)
    const now = yield* Clock.currentTimeMillis
    const expiresAt = now + grace
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

/** @internal */
export const make = (deps: Deps): Endpoints => {
  const { storage } = deps
  const warnInsecure = insecureWarning()
  const disabled = setDisabled(deps)
  return {
    create: create(deps, warnInsecure),
    get: (input) =>
      Effect.flatMap(
        validate.tenant(input.tenant),
        (tenant) => Effect.map(loadEndpoint(deps, tenant, input.id), views.endpoint)
      ),
    list: (input) =>
      Effect.gen(function*() {
        const tenant = yield* validate.tenant(input.tenant)
        const limit = yield* validate.pageLimit(input.limit)
        const cursor = yield* validate.cursor(input.cursor)
        const order = yield* validate.order(input.order)
        return page(yield* storage.listEndpoints(tenant, { limit, cursor, order }), views.endpoint)
      }),
    update: update(deps, warnInsecure),
    delete: (input) =>
      Effect.gen(function*() {
        const tenant = yield* validate.tenant(input.tenant)
        const now = yield* Clock.currentTimeMillis
        const deleted = yield* reported(
          deps,
          storage.deleteEndpoint(tenant, input.id, now),
          (written): ReadonlyArray<OperationalEvent> =>
            written ? [{ type: "endpoint.deleted", tenant, endpointId: input.id, at: new Date(now) }] : []
        )
        if (!deleted) return yield* endpointNotFound(input.id)
      }),
    enable: (input) => disabled(input.tenant, input.id, false, null),
    disable: (input) => disabled(input.tenant, input.id, true, input.reason ?? "disabled manually"),
    rotateSecret: rotateSecret(deps),
    test: testSend.make(deps),
    stats: stats.make(deps),
    testFilter: (input) =>
      Effect.map(
        endpointInput.checkedFilter(input.filter),
        (filter) => ({ matches: PayloadFilter.compile(filter)(input.payload) })
      )
  }
}
