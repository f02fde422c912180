/**
 * The dispatcher's pure settle decision (internal/dispatcher/settle.ts): what an attempt's outcome means for its
 * delivery, the event, and what the endpoint's health must learn. Pinned on the behaviour the engine tests show end
 * to end (Dispatcher.test.ts, Health.test.ts).
 */
import { describe, expect, it } from "@effect/vitest"
import * as settle from "../../src/internal/dispatcher/settle.js"
import { healthy } from "../../src/Model.js"
import type * as Model from "../../src/Model.js"
import * as RetryPolicy from "../../src/RetryPolicy.js"
import type * as RetryPolicyTypes from "../../src/RetryPolicy.js"
import { deliveryRecord, endpointRecord, messageRecord } from "../contract/Records.js"

const now = 1_700_000_000_000
const startedAt = now - 120

const policy: settle.Policy = {
  retryPolicy: RetryPolicy.fixed(["10 seconds", "20 seconds"]),
  throttleMinMs: 60_000,
  maxRetryAfterMs: 86_400_000
}

const context = (
  overrides: { endpoint?: Partial<Model.EndpointRecord>; delivery?: Partial<Model.DeliveryRecord> } = {}
): Model.DispatchContext => {
  const endpoint = endpointRecord("acme", now - 60_000, overrides.endpoint)
  const message = messageRecord("acme", now - 1000)
  return { endpoint, message, delivery: deliveryRecord(message, endpoint.id, overrides.delivery) }
}

const attemptOf = (ctx: Model.DispatchContext, status: number | null): Model.AttemptRecord => ({
  id: "atm_1",
  tenant: ctx.delivery.tenant,
  deliveryId: ctx.delivery.id,
  messageId: ctx.message.id,
  endpointId: ctx.endpoint.id,
  attempt: ctx.delivery.attempts + 1,
  trigger: "scheduled",
  url: ctx.endpoint.url,
  startedAt,
  durationMs: 120,
  responseStatus: status,
  responseBody: null,
  errorKind: status === null ? "timeout" : null,
  errorMessage: null
})

const respond = (status: number): RetryPolicyTypes.Outcome => ({ _tag: "Response", status })

const run = (ctx: Model.DispatchContext, status: number | null, random = 0.5) =>
  settle.settle(
    ctx,
    attemptOf(ctx, status),
    status === null ? { _tag: "TransportError", kind: "timeout" } : respond(status),
    now,
    random,
    policy
  )

const ids = (ctx: Model.DispatchContext) => ({
  tenant: "acme",
  deliveryId: ctx.delivery.id,
  messageId: ctx.message.id,
  endpointId: ctx.endpoint.id
})

describe("settle", () => {
  it("2xx to a healthy endpoint: delivered, succeeded event, nothing for health", () => {
    const ctx = context()
    const s = run(ctx, 204)
    expect(s).toStrictEqual({
      outcome: "delivered",
      delivery: {
        ...ctx.delivery,
        status: "delivered",
        attempts: 1,
        nextAttemptAt: null,
        lastAttemptAt: startedAt,
        lastResponseStatus: 204,
        lastError: null,
        updatedAt: now
      },
      runAt: undefined,
      event: { type: "delivery.succeeded", ...ids(ctx), attempts: 1, at: new Date(now) },
      reason: undefined,
      health: undefined,
      gone: false
    })
  })

  it("2xx to an endpoint that was failing: health learns a success", () => {
    const ctx = context({ endpoint: { health: { ...healthy, failingSince: now - 5000, consecutiveFailures: 3 } } })
    const s = run(ctx, 200)
    expect(s.outcome).toBe("delivered")
    expect(s.health).toBe(true)
    const halfOpen = context({ endpoint: { health: { ...healthy, circuit: "half_open" } } })
    expect(run(halfOpen, 200).health).toBe(true)
  })

  it("a 500 with retries left: pending again at now + the policy's delay, no event, health learns a failure", () => {
    const ctx = context()
    const s = run(ctx, 500)
    expect(s.outcome).toBe("retry")
    expect(s.runAt).toBe(now + 10_000)
    expect(s.delivery).toMatchObject({
      status: "pending",
      attempts: 1,
      nextAttemptAt: now + 10_000,
      lastResponseStatus: 500,
      lastError: null
    })
    expect(s.event).toBeUndefined()
    expect(s.reason).toContain("500")
    expect(s.health).toBe(false)
    expect(s.gone).toBe(false)
  })

  it("a transport error records its kind", () => {
    const s = run(context(), null)
    expect(s.outcome).toBe("retry")
    expect(s.delivery).toMatchObject({ lastResponseStatus: null, lastError: "timeout" })
  })

  it("retries exhausted: failed with the policy's reason, health learns a failure", () => {
    const ctx = context({ delivery: { attempts: 2 } })
    const s = run(ctx, 500)
    expect(s.outcome).toBe("failed")
    expect(s.delivery).toMatchObject({ status: "failed", attempts: 3, nextAttemptAt: null })
    expect(s.runAt).toBeUndefined()
    expect(s.event).toMatchObject({ type: "delivery.failed", ...ids(ctx), attempts: 3, at: new Date(now) })
    expect(s.event?.type === "delivery.failed" && s.event.reason).toBe(s.reason)
    expect(s.reason).toContain("500")
    expect(s.health).toBe(false)
  })

  it("410 Gone: failed with the 410 reason, gone, and nothing for health (the endpoint is disabled instead)", () => {
    const ctx = context()
    const s = run(ctx, 410)
    expect(s.outcome).toBe("gone")
    expect(s.gone).toBe(true)
    expect(s.health).toBeUndefined()
    expect(s.delivery).toMatchObject({ status: "failed", nextAttemptAt: null, lastResponseStatus: 410 })
    expect(s.event).toStrictEqual({
      type: "delivery.failed",
      ...ids(ctx),
      attempts: 1,
      reason: settle.goneReason,
      at: new Date(now)
    })
    expect(s.reason).toBe(settle.goneReason)
  })

  it("the endpoint's own retry policy wins over the engine's", () => {
    const ctx = context({ endpoint: { retryPolicy: { _tag: "none" } } })
    expect(run(ctx, 500).outcome).toBe("failed")
  })

  it("jitter comes from `random`", () => {
    const jittered: settle.Policy = { ...policy, retryPolicy: RetryPolicy.fixed(["10 seconds"], { jitter: 0.5 }) }
    const ctx = context()
    const at = (random: number) =>
      settle.settle(ctx, attemptOf(ctx, 500), respond(500), now, random, jittered).runAt! - now
    expect(at(0)).toBeLessThan(at(0.99))
    expect(at(0.5)).toBe(10_000)
  })

  it("disabled: whatever the attempt decided, the delivery fails with the disabling reason", () => {
    const ctx = context({ delivery: { attempts: 4 } })
    const retry = run(ctx, 500)
    const s = settle.disabled(retry, ctx, "failing for 5 days", now)
    expect(s).toStrictEqual({
      outcome: "failed",
      delivery: { ...retry.delivery, status: "failed", nextAttemptAt: null },
      runAt: undefined,
      event: {
        type: "delivery.failed",
        ...ids(ctx),
        attempts: 5,
        reason: "the endpoint was disabled: failing for 5 days",
        at: new Date(now)
      },
      reason: "the endpoint was disabled: failing for 5 days",
      health: false,
      gone: false
    })
  })

  it("isHealthy: only the default health is healthy", () => {
    expect(settle.isHealthy(healthy)).toBe(true)
    expect(settle.isHealthy({ ...healthy, consecutiveFailures: 1 })).toBe(false)
    expect(settle.isHealthy({ ...healthy, failingSince: now })).toBe(false)
    expect(settle.isHealthy({ ...healthy, circuit: "open" })).toBe(false)
  })
})
