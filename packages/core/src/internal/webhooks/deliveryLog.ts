/**
 * The delivery log, read side: messages, deliveries and attempts, one at a time or a page at a time, newest or oldest
 * first, filtered by endpoint, message, status and time. Nothing here writes; resend, retry and recover are in
 * `recovery.ts`.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { NotFound } from "../../Errors.js"
import type * as Model from "../../Model.js"
import type { Webhooks } from "../../Webhooks.js"
import * as validate from "../validate.js"
import * as views from "../views.js"
import { deliveryNotFound, type Deps, messageNotFound, page } from "./deps.js"

type Service = Webhooks["Type"]

/** The slice's operations, as the service exposes them. */
export interface DeliveryLog {
  readonly messages: Pick<Service["messages"], "get" | "list">
  readonly deliveries: Pick<Service["deliveries"], "get" | "list" | "attempts">
}

/** The paging and time filters every list shares, checked. */
interface ListInput {
  readonly tenant: string
  readonly limit?: number | undefined
  readonly cursor?: string | undefined
  readonly order?: "asc" | "desc" | undefined
  readonly since?: unknown
  readonly until?: unknown
}

const listOptions = (input: ListInput) =>
  Effect.all({
    limit: validate.pageLimit(input.limit),
    cursor: validate.cursor(input.cursor),
    order: validate.order(input.order),
    since: validate.time(input.since, "since"),
    until: validate.time(input.until, "until")
  })

/** One record of the tenant as its view, or the record kind's `NotFound`. */
const one = <R, V, E>(
  input: { readonly tenant: string; readonly id: string },
  get: (tenant: string, id: string) => Effect.Effect<R | undefined, E>,
  notFound: (id: string) => NotFound,
  view: (record: R) => V
) =>
  Effect.gen(function*() {
    const record = yield* get(yield* validate.tenant(input.tenant), input.id)
    if (record === undefined) return yield* notFound(input.id)
    return view(record)
  })

/** A page of the tenant's records as views, its paging and time filters checked. */
const list = <I extends ListInput, R, V, E>(
  input: I,
  read: (tenant: string, options: Effect.Effect.Success<ReturnType<typeof listOptions>>) => Effect.Effect<
    Model.Page<R>,
    E
  >,
  view: (record: R) => V
) =>
  Effect.gen(function*() {
    const tenant = yield* validate.tenant(input.tenant)
    return page(yield* read(tenant, yield* listOptions(input)), view)
  })

/** @internal */
export const make = ({ storage }: Deps): DeliveryLog => ({
  messages: {
    get: (input) => one(input, (tenant, id) => storage.getMessage(tenant, id), messageNotFound, views.message),
    list: (input) =>
      list(input, (tenant, options) => storage.listMessages(tenant, { ...options, type: input.type }), views.message)
  },
  deliveries: {
    get: (input) => one(input, (tenant, id) => storage.getDelivery(tenant, id), deliveryNotFound, views.delivery),
    list: (input) => {
      const { endpointId, messageId, status } = input
      return list(
        input,
        (tenant, options) => storage.listDeliveries(tenant, { ...options, endpointId, messageId, status }),
        views.delivery
      )
    },
    attempts: (input) => {
      const { deliveryId, endpointId, messageId } = input
      return list(
        input,
        (tenant, options) => storage.listAttempts(tenant, { ...options, deliveryId, endpointId, messageId }),
        views.attempt
      )
    }
  }
})
