/** Public views of the stored records: secrets removed, times as `Date`. */
import type * as Model from "../Model.js"
import type { Attempt, Delivery, Endpoint, Message } from "../Webhooks.js"
import * as endpointOAuth2 from "./webhooks/endpointOAuth2.js"
import * as endpointTls from "./webhooks/endpointTls.js"
import * as endpointTransport from "./webhooks/endpointTransport.js"

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms))

/** An endpoint's health as its view shows it (also the stats' `health`). */
export const health = (h: Model.EndpointHealth): Endpoint["health"] => ({
  failingSince: date(h.failingSince),
  consecutiveFailures: h.consecutiveFailures,
  circuit: {
    state: h.circuit,
    openedAt: date(h.circuitOpenedAt),
    retryAt: date(h.circuitRetryAt)
  }
})

export const endpoint = (r: Model.EndpointRecord): Endpoint => ({
  id: r.id,
  tenant: r.tenant,
  url: r.url,
  name: r.name,
  description: r.description,
  eventTypes: r.eventTypes,
  channels: r.channels,
  headers: r.headers,
  sensitiveHeaders: endpointTransport.redactedHeaders(r.transport),
  proxy: r.transport?.proxy ?? null,
  tls: endpointTls.view(r.transport?.tls),
  oauth2: endpointOAuth2.view(r.transport?.oauth2),
  metadata: r.metadata,
  disabled: r.disabled,
  disabledReason: r.disabledReason,
  disabledAt: date(r.disabledAt),
  timeoutMs: r.timeoutMs,
  retryPolicy: r.retryPolicy,
  scheme: r.scheme,
  rateLimit: r.options.rateLimit,
  fifo: r.options.fifo,
  circuitBreaker: r.options.circuitBreaker,
  filter: r.options.filter ?? null,
  health: health(r.health),
  createdAt: new Date(r.createdAt),
  updatedAt: new Date(r.updatedAt)
})

export const message = (r: Model.MessageRecord): Message => ({
  id: r.id,
  tenant: r.tenant,
  type: r.type,
  body: r.body,
  channels: r.channels,
  idempotencyKey: r.idempotencyKey,
  createdAt: new Date(r.createdAt)
})

export const delivery = (r: Model.DeliveryRecord): Delivery => ({
  id: r.id,
  tenant: r.tenant,
  messageId: r.messageId,
  endpointId: r.endpointId,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: date(r.nextAttemptAt),
  lastAttemptAt: date(r.lastAttemptAt),
  lastResponseStatus: r.lastResponseStatus,
  lastError: r.lastError,
  createdAt: new Date(r.createdAt),
  updatedAt: new Date(r.updatedAt)
})

export const attempt = (r: Model.AttemptRecord): Attempt => ({
  id: r.id,
  tenant: r.tenant,
  deliveryId: r.deliveryId,
  messageId: r.messageId,
  endpointId: r.endpointId,
  attempt: r.attempt,
  trigger: r.trigger,
  url: r.url,
  startedAt: new Date(r.startedAt),
  durationMs: r.durationMs,
  responseStatus: r.responseStatus,
  responseBody: r.responseBody,
  errorKind: r.errorKind,
  errorMessage: r.errorMessage,
  requestHeaders: r.requestHeaders ?? null,
  responseHeaders: r.responseHeaders ?? null
})
