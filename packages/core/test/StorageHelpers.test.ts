import { describe, expect, it } from "vitest"
import type { AttemptRecord, DeliveryRecord, MessageRecord } from "../src/Model.js"
import * as Storage from "../src/Storage.js"

const ids = (...names: Array<string>) => names.map((id) => ({ id }))

describe("Storage helpers for adapters", () => {
  it("pageOf: a read of limit + 1 records is a full page whose cursor is its last id", () => {
    expect(Storage.pageOf(ids("a", "b", "c"), 2)).toEqual({ items: ids("a", "b"), nextCursor: "b" })
    expect(Storage.pageOf(ids("a", "b"), 2)).toEqual({ items: ids("a", "b"), nextCursor: null })
    expect(Storage.pageOf(ids("a"), 2)).toEqual({ items: ids("a"), nextCursor: null })
    expect(Storage.pageOf([], 2)).toEqual({ items: [], nextCursor: null })
  })

  it("pageOf: a limit of 0 is an empty last page, whatever was read", () => {
    expect(Storage.pageOf(ids("a"), 0)).toEqual({ items: [], nextCursor: null })
  })

  it("pageLimit: the request's limit as a whole number, at least 0", () => {
    expect(Storage.pageLimit({ limit: 25 })).toBe(25)
    expect(Storage.pageLimit({ limit: 2.7 })).toBe(2)
    expect(Storage.pageLimit({ limit: -3 })).toBe(0)
  })

  it("inWindow: since inclusive, until exclusive, each optional", () => {
    expect(Storage.inWindow(10, {})).toBe(true)
    expect(Storage.inWindow(10, { since: 10, until: 11 })).toBe(true)
    expect(Storage.inWindow(9, { since: 10 })).toBe(false)
    expect(Storage.inWindow(11, { until: 11 })).toBe(false)
  })

  it("matchesMessage / matchesDelivery / matchesAttempt: every field the filter sets, and the time window", () => {
    const message = { type: "invoice.paid", createdAt: 100 } as MessageRecord
    expect(Storage.matchesMessage({ limit: 10, type: "invoice.paid", since: 100 }, message)).toBe(true)
    expect(Storage.matchesMessage({ limit: 10, type: "invoice.voided" }, message)).toBe(false)
    expect(Storage.matchesMessage({ limit: 10, until: 100 }, message)).toBe(false)

    const delivery = { endpointId: "ep_1", messageId: "msg_1", status: "pending", createdAt: 100 } as DeliveryRecord
    expect(Storage.matchesDelivery({ limit: 10, endpointId: "ep_1", messageId: "msg_1", status: "pending" }, delivery))
      .toBe(true)
    expect(Storage.matchesDelivery({ limit: 10, endpointId: "ep_2" }, delivery)).toBe(false)
    expect(Storage.matchesDelivery({ limit: 10, messageId: "msg_2" }, delivery)).toBe(false)
    expect(Storage.matchesDelivery({ limit: 10, status: "failed" }, delivery)).toBe(false)
    expect(Storage.matchesDelivery({ limit: 10, since: 101 }, delivery)).toBe(false)

    const attempt = { deliveryId: "dlv_1", endpointId: "ep_1", messageId: "msg_1", startedAt: 100 } as AttemptRecord
    expect(Storage.matchesAttempt({ limit: 10, deliveryId: "dlv_1", endpointId: "ep_1", messageId: "msg_1" }, attempt))
      .toBe(true)
    expect(Storage.matchesAttempt({ limit: 10, deliveryId: "dlv_2" }, attempt)).toBe(false)
    expect(Storage.matchesAttempt({ limit: 10, endpointId: "ep_2" }, attempt)).toBe(false)
    expect(Storage.matchesAttempt({ limit: 10, messageId: "msg_2" }, attempt)).toBe(false)
    expect(Storage.matchesAttempt({ limit: 10, until: 100 }, attempt)).toBe(false)
  })
})
