/**
 * Valid records as core would write them, for the contract suites and adapters' own tests that call the ports
 * directly. Exported as `@hookwire/core/test/contract/Records`.
 *
 * @since 0.2.0
 */
import * as Id from "../../src/Id.js"
import { defaultOptions, healthy } from "../../src/Model.js"
import type { DeliveryRecord, EndpointRecord, MessageRecord } from "../../src/Model.js"

export const newTenant = () => `tenant_${Id.ulid(Date.now())}`

export const endpointRecord = (
  tenant: string,
  now = Date.now(),
  overrides: Partial<EndpointRecord> = {}
): EndpointRecord => ({
  id: Id.make("ep", now),
  tenant,
  url: "https://receiver.example.com/hooks",
  name: null,
  description: null,
  eventTypes: [],
  channels: [],
  headers: {},
  metadata: {},
  disabled: false,
  disabledReason: null,
  disabledAt: null,
  timeoutMs: null,
  retryPolicy: null,
  scheme: null,
  secrets: [{ value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", createdAt: now, expiresAt: null }],
  options: defaultOptions,
  transport: null,
  health: healthy,
  createdAt: now,
  updatedAt: now,
  ...overrides
})

export const messageRecord = (
  tenant: string,
  now = Date.now(),
  overrides: Partial<MessageRecord> = {}
): MessageRecord => ({
  id: Id.make("msg", now),
  tenant,
  type: "order.created",
  body: "{\"type\":\"order.created\",\"data\":{\"orderId\":\"o\"}}",
  channels: [],
  idempotencyKey: null,
  createdAt: now,
  ...overrides
})

export const deliveryRecord = (
  message: MessageRecord,
  endpointId: string,
  overrides: Partial<DeliveryRecord> = {}
): DeliveryRecord => ({
  id: Id.make("dlv", message.createdAt),
  tenant: message.tenant,
  messageId: message.id,
  endpointId,
  status: "pending",
  attempts: 0,
  nextAttemptAt: message.createdAt,
  lastAttemptAt: null,
  lastResponseStatus: null,
  lastError: null,
  createdAt: message.createdAt,
  updatedAt: message.createdAt,
  ...overrides
})
