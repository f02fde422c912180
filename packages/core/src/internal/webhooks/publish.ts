/**
 * The publish slice of the Webhooks service: `publish` and `publishMany`. A publish is checked and turned into a
 * message (`prepare`: the body is serialised once, here), fanned out to a pending delivery for every enabled endpoint
 * of its tenant whose event types and channels match (`fanOut`), stored with its deliveries in one write, and the
 * deliveries the adapter did not queue itself are queued (`store`). From there the dispatcher takes over
 * (see "How a message travels" in the core README).
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type { QueueItem } from "../../DeliveryQueue.js"
import { EventTypeError, ValidationError } from "../../Errors.js"
import * as Id from "../../Id.js"
import type * as Model from "../../Model.js"
import type { Resolved } from "../../Settings.js"
import type { InsertMessageResult, NewMessage } from "../../Storage.js"
import type { PublishInput, PublishResult, Webhooks } from "../../Webhooks.js"
import * as attemptInternal from "../attempt.js"
import * as metrics from "../metrics.js"
import * as validate from "../validate.js"
import * as views from "../views.js"
import { type Deps, newDelivery } from "./deps.js"
import * as filters from "./filters.js"

/** The most messages one `publishMany` call takes (`Webhooks.MAX_PUBLISH_BATCH`). */
export const MAX_PUBLISH_BATCH = 1000

/** The slice's operations, as the service exposes them. */
export type Publish = Pick<Webhooks["Type"], "publish" | "publishMany">

type InputError = ValidationError | EventTypeError

const tooLarge = (settings: Resolved, body: string) =>
  new ValidationError({
    code: "payload_too_large",
    field: "data",
    message: `the message body is ${Buffer.byteLength(body)} bytes; the limit is ${settings.maxPayloadBytes}. ` +
      `Send a smaller payload (e.g. an id the receiver can fetch) or raise maxPayloadBytes`
  })

/** The message's body: the envelope as JSON, or the input error saying why it cannot be one. */
const bodyOf = (settings: Resolved, id: string, type: string, data: unknown, now: number): string | InputError => {
  let body: string | undefined
  try {
    body = JSON.stringify(settings.envelope({ id, type, timestamp: new Date(now), data }))
  } catch (error) {
    return new ValidationError({
      code: "invalid_option",
      field: "data",
      message: `the message could not be serialised as JSON: ${error instanceof Error ? error.message : String(error)}`
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
  const over = body.length * 3 > settings.maxPayloadBytes &&
    (body.length > settings.maxPayloadBytes || Buffer.byteLength(body) > settings.maxPayloadBytes)
  return over ? tooLarge(settings, body) : body
}

/**
 * Validates a publish and builds its message. Synchronous — the message, or the input error — rather than an effect:
 * it runs once per published message, and the checks never suspend.
 */
export const prepare = (settings: Resolved, input: PublishInput, now: number): Model.MessageRecord | InputError => {
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
  // No channels is the common case (and what `validate.channels` makes of `undefined`).
  const channels = input.channels === undefined ? [] : validate.checkChannels(input.channels, "channels")
  if (channels instanceof ValidationError) return channels
  const idempotencyKey = validate.checkIdempotencyKey(input.idempotencyKey)
  if (idempotencyKey instanceof ValidationError) return idempotencyKey
  const id = Id.make("msg", now)
  const body = bodyOf(settings, id, input.type, encoded.right, now)
  if (typeof body !== "string") return body
  return { id, tenant, type: input.type, body, channels, idempotencyKey, createdAt: now }
}

const isInputError = (prepared: Model.MessageRecord | InputError): prepared is InputError =>
  prepared instanceof ValidationError || prepared instanceof EventTypeError

const noChannels: ReadonlySet<string> = new Set()

const unparsed: unique symbol = Symbol("unparsed")

/**
 * A pending delivery, due now, for every endpoint whose event types, channels and payload filter match the message
 * (the body is parsed once, for the first endpoint with a filter).
 */
export const fanOut = (
  message: Model.MessageRecord,
  endpoints: ReadonlyArray<Model.EndpointRecord>
): Array<Model.DeliveryRecord> => {
  const now = message.createdAt
  // Most messages have no channels: they share one empty set (`validate.matches` only reads it).
  const messageChannels = message.channels.length === 0 ? noChannels : new Set(message.channels)
  const deliveries: Array<Model.DeliveryRecord> = []
  let payload: unknown = unparsed
  for (const endpoint of endpoints) {
    if (!validate.matches(endpoint, message.type, messageChannels)) continue
    const filter = filters.matcherOf(endpoint)
    if (filter !== undefined) {
      if (payload === unparsed) payload = filters.payloadOf(message)
      if (!filter(payload)) continue
    }
    deliveries.push(newDelivery(message, endpoint.id, Id.make("dlv", now), now, now))
  }
  return deliveries
}

/**
 * A batch's writes: each message once per idempotency key (a key repeated within the batch makes the later messages
 * duplicates of the first with it), with its fanned-out deliveries; `sameAs[i]` is the write that answers input `i`.
 */
export const batchOf = (
  prepared: ReadonlyArray<Model.MessageRecord>,
  endpointsOf: (tenant: string) => ReadonlyArray<Model.EndpointRecord>
): { readonly batch: ReadonlyArray<NewMessage>; readonly sameAs: ReadonlyArray<number> } => {
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
    batch.push({ message, deliveries: fanOut(message, endpointsOf(message.tenant)) })
  }
  return { batch, sameAs }
}

const resultOf = (inserted: InsertMessageResult): PublishResult =>
  inserted.created
    ? { message: views.message(inserted.message), deliveries: inserted.deliveries.length, duplicate: false }
    : { message: views.message(inserted.message), deliveries: 0, duplicate: true }

/** One result per input, in input order: the second and later answers of one write are duplicates. */
export const resultsOf = (
  inserted: ReadonlyArray<InsertMessageResult>,
  sameAs: ReadonlyArray<number>
): Array<PublishResult> => {
  const seen = new Set<number>()
  return sameAs.map((index) => {
    const result = resultOf(inserted[index])
    if (seen.has(index)) return { message: result.message, deliveries: 0, duplicate: true }
    seen.add(index)
    return result
  })
}

/** Counts what was published, in one step (`metrics.published`). */
const countPublished = (inserted: ReadonlyArray<InsertMessageResult>) =>
  attemptInternal.updateMetrics((labels) => {
    let created = 0
    let deliveries = 0
    for (const result of inserted) {
      if (!result.created) continue
      created++
      deliveries += result.deliveries.length
    }
    metrics.messagesPublished.unsafeUpdate(created, labels)
    metrics.deliveriesCreated.unsafeUpdate(deliveries, labels)
  })

/** Inserts, then queues what the adapter did not queue itself. */
const insertThenEnqueue = <E>(
  { queue }: Deps,
  insert: Effect.Effect<ReadonlyArray<InsertMessageResult>, E>,
  now: number
) =>
  Effect.tap(insert, (inserted) => {
    const toQueue: Array<QueueItem> = []
    for (const result of inserted) {
      if (!result.created || result.queued === true) continue
      for (const delivery of result.deliveries) toQueue.push({ id: delivery.id, runAt: now })
    }
    return toQueue.length === 0
      ? countPublished(inserted)
      : Effect.zipRight(queue.enqueue(toQueue), countPublished(inserted))
  })

/** Drops ids from the queue that storage does not hold; should that fail, the dispatcher drops them when claimed. */
const removeStrays = ({ queue }: Deps, ids: ReadonlyArray<string>) =>
  ids.length === 0 ? Effect.void : queue.remove(ids).pipe(
    Effect.catchAllCause((cause) =>
      Effect.logWarning("Webhooks.publish: removing unstored ids from the queue failed", cause)
    )
  )

/**
 * Inserts and enqueues at once, for a queue apart from storage (`DeliveryQueue.enqueuesWithInsert`): the batch's
 * deliveries are queued while storage inserts them, and publish returns once both writes are done. A failed insert
 * removes the ids again and fails with its error; ids of messages that stored nothing (an idempotency key already
 * used) are removed too; a failed enqueue fails publish as it does after an insert (the sweeper queues what was
 * stored).
 */
const insertWithEnqueue = <E>(
  deps: Deps,
  insert: Effect.Effect<ReadonlyArray<InsertMessageResult>, E>,
  batch: ReadonlyArray<NewMessage>,
  now: number
) =>
  Effect.gen(function*() {
    const items: Array<QueueItem> = []
    for (const { deliveries } of batch) for (const delivery of deliveries) items.push({ id: delivery.id, runAt: now })
    if (items.length === 0) return yield* insertThenEnqueue(deps, insert, now)
    const [stored, queued] = yield* Effect.all([Effect.exit(insert), Effect.exit(deps.queue.enqueue(items))], {
      concurrency: 2
    })
    if (Exit.isFailure(stored)) {
      yield* removeStrays(deps, items.map((item) => item.id))
      return yield* Effect.failCause(stored.cause)
    }
    const inserted = stored.value
    const strays: Array<string> = []
    for (let i = 0; i < inserted.length; i++) {
      if (inserted[i].created && inserted[i].queued !== true) continue
      for (const delivery of batch[i].deliveries) strays.push(delivery.id)
    }
    yield* removeStrays(deps, strays)
    if (Exit.isFailure(queued)) return yield* Effect.failCause(queued.cause)
    yield* countPublished(inserted)
    return inserted
  })

/**
 * Stores a batch and queues its deliveries — uninterruptible, or an interruption between the two writes would strand
 * the deliveries.
 */
const store = <E>(
  deps: Deps,
  insert: Effect.Effect<ReadonlyArray<InsertMessageResult>, E>,
  batch: ReadonlyArray<NewMessage>,
  now: number
) =>
  Effect.uninterruptible(
    deps.queue.enqueuesWithInsert === true
      ? insertWithEnqueue(deps, insert, batch, now)
      : insertThenEnqueue(deps, insert, now)
  )

/** Says which message of a batch an input error is about. */
const atIndex = (index: number, error: InputError): InputError =>
  error._tag === "ValidationError"
    ? new ValidationError({ ...error, message: `messages[${index}]: ${error.message}` })
    : new EventTypeError({ ...error, message: `messages[${index}]: ${error.message}` })

const tooMany = (inputs: unknown) =>
  new ValidationError({
    code: "invalid_option",
    field: "messages",
    message: `publishMany takes an array of at most ${MAX_PUBLISH_BATCH} messages; ` +
      `got ${Array.isArray(inputs) ? `${inputs.length}` : typeof inputs}. Split larger batches`
  })

/** @internal */
export const make = (deps: Deps): Publish => {
  const { settings, storage } = deps

  const publishUntraced = Effect.fnUntraced(function*(input: PublishInput) {
    const now = yield* Clock.currentTimeMillis
    const message = prepare(settings, input, now)
    if (isInputError(message)) return yield* message
    const deliveries = fanOut(message, yield* storage.enabledEndpoints(message.tenant))
    const insert = Effect.map(storage.insertMessage(message, deliveries), (inserted) => [inserted])
    const [inserted] = yield* store(deps, insert, [{ message, deliveries }], now)
    return resultOf(inserted)
  })

  /** The enabled endpoints of each tenant of a batch: read once per tenant, in one call when the store can. */
  const enabledEndpointsOf = (prepared: ReadonlyArray<Model.MessageRecord>) =>
    Effect.suspend(() => {
      const tenants = [...new Set(prepared.map((message) => message.tenant))]
      if (tenants.length > 1 && storage.enabledEndpointsOf !== undefined) return storage.enabledEndpointsOf(tenants)
      return Effect.map(
        Effect.forEach(tenants, (tenant) => storage.enabledEndpoints(tenant)),
        (found) => new Map(tenants.map((tenant, i) => [tenant, found[i]] as const))
      )
    })

  const publishManyUntraced = Effect.fnUntraced(function*(inputs: ReadonlyArray<PublishInput>) {
    if (!Array.isArray(inputs) || inputs.length > MAX_PUBLISH_BATCH) return yield* tooMany(inputs)
    const now = yield* Clock.currentTimeMillis
    // Every input is checked before anything is written: one bad message publishes none of the batch.
    const prepared: Array<Model.MessageRecord> = []
    for (let i = 0; i < inputs.length; i++) {
      const message = prepare(settings, inputs[i], now)
      if (isInputError(message)) return yield* atIndex(i, message)
      prepared.push(message)
    }
    const endpointsOf = yield* enabledEndpointsOf(prepared)
    const { batch, sameAs } = batchOf(prepared, (tenant) => endpointsOf.get(tenant)!)
    const insert = storage.insertMessages !== undefined
      ? storage.insertMessages(batch)
      : Effect.forEach(batch, ({ deliveries, message }) => storage.insertMessage(message, deliveries))
    return resultsOf(yield* store(deps, insert, batch, now), sameAs)
  })

  return {
    // The span of every publish: `Effect.withSpan` in fewer steps, without `Effect.fn`'s call-site stack trace
    // (capturing one, an Error per call, cost more than the rest of a memory publish).
    publish: (input) => attemptInternal.traced(publishUntraced(input), "Webhooks.publish", {}),
    publishMany: (inputs) =>
      attemptInternal.traced(publishManyUntraced(inputs), "Webhooks.publishMany", {
        attributes: { "hookwire.messages": Array.isArray(inputs) ? inputs.length : 0 }
      })
  }
}
