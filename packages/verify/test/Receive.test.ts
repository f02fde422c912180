import { EventEmitter } from "node:events"
import { describe, expect, it, vi } from "vitest"
import {
  type DedupStore,
  isHandlingFailure,
  MemoryDedupStore,
  presets,
  receive,
  releaseOnFailure,
  type ServerResponseLike,
  sign,
  statusFor,
  stripe,
  verifyRequest
} from "../src/index.js"
import { codeOfAsync } from "./utils/vectors.js"

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

const signed = (payload: string, id = "msg_1") => {
  const raw = Buffer.from(payload)
  return { raw, headers: sign(raw, { secret, id }) }
}

/** A store that records claims. */
const recording = (answer: boolean | Promise<boolean> = true) => {
  const claims: Array<[string, number]> = []
  const store: DedupStore = {
    claim: (id, ttl) => {
      claims.push([id, ttl])
      return answer
    }
  }
  return { claims, store }
}

describe("receive", () => {
  it("verifies, parses and returns the event with the exact raw bytes", async () => {
    const { headers, raw } = signed("{\"type\":\"invoice.paid\",\"data\":{\"n\":1}}")
    const { duplicate, event } = await receive<{ type: string; data: { n: number } }>(raw, headers, { secret })
    expect(duplicate).toBe(false)
    expect(event.id).toBe("msg_1")
    expect(event.timestamp).toBe(Number(headers["webhook-timestamp"]))
    expect(event.type).toBe("invoice.paid")
    expect(event.payload.data.n).toBe(1)
    expect(event.raw).toBe(raw)
  })

  it("takes the type from payload.event when there is no payload.type", async () => {
    const body = "{\"event\":\"signal.buy\",\"data\":{}}"
    const headers = {
      "x-webhook-signature": sign(body, { scheme: presets.tradingSignals, secret: "s", id: "x" })["x-webhook-signature"]
    }
    const { event } = await receive(Buffer.from(body), headers, { scheme: presets.tradingSignals, secret: "s" })
    expect(event.type).toBe("signal.buy")
    expect(event.id).toBeUndefined()
  })

  it("leaves the type undefined when it is absent or not a string", async () => {
    for (const payload of ["{\"type\":3}", "[1,2]", "\"text\"", "null", "{}"]) {
      const { headers, raw } = signed(payload)
      expect((await receive(raw, headers, { secret })).event.type).toBeUndefined()
    }
  })

  it("detects duplicates with a dedup store, and only after verification", async () => {
    const dedup = new MemoryDedupStore()
    const { headers, raw } = signed("{\"type\":\"a\"}", "msg_dup")
    expect(await codeOfAsync(() => receive(Buffer.from("{\"type\":\"b\"}"), headers, { secret, dedup }))).toBe(
      "no_matching_signature"
    )
    expect(dedup.size).toBe(0)
    expect((await receive(raw, headers, { secret, dedup })).duplicate).toBe(false)
    expect((await receive(raw, headers, { secret, dedup })).duplicate).toBe(true)
    const other = signed("{\"type\":\"a\"}", "msg_other")
    expect((await receive(other.raw, other.headers, { secret, dedup })).duplicate).toBe(false)
  })

  it("claims for 24 h by default, never less than twice the tolerance, and awaits async stores", async () => {
    const { headers, raw } = signed("{}")
    const a = recording()
    await receive(raw, headers, { secret, dedup: a.store })
    expect(a.claims).toEqual([["msg_1", 86_400]])
    const b = recording(Promise.resolve(false))
    const result = await receive(raw, headers, { secret, dedup: b.store, dedupTtl: 10, tolerance: 600 })
    expect(b.claims).toEqual([["msg_1", 1200]])
    expect(result.duplicate).toBe(true)
  })

  it("does not claim when the scheme has no id", async () => {
    const body = "{\"id\":\"evt_1\"}"
    const headers = sign(body, { scheme: stripe, secret: "whsec_s", id: "unused" })
    const { claims, store } = recording()
    const result = await receive(Buffer.from(body), headers, { scheme: stripe, secret: "whsec_s", dedup: store })
    expect(result.duplicate).toBe(false)
    expect(claims).toEqual([])
  })

  it("propagates a failing dedup store instead of treating it as new or duplicate", async () => {
    const { headers, raw } = signed("{}")
    const store: DedupStore = { claim: () => Promise.reject(new Error("redis down")) }
    await expect(receive(raw, headers, { secret, dedup: store })).rejects.toThrow("redis down")
  })

  it("rejects a correctly signed body that is not JSON or not UTF-8 with invalid_payload", async () => {
    const notJson = signed("{\"type\": nope}")
    expect(await codeOfAsync(() => receive(notJson.raw, notJson.headers, { secret }))).toBe("invalid_payload")
    const bytes = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])
    const headers = sign(bytes, { secret, id: "m" })
    expect(await codeOfAsync(() => receive(bytes, headers, { secret }))).toBe("invalid_payload")
    const empty = signed("")
    expect(await codeOfAsync(() => receive(empty.raw, empty.headers, { secret }))).toBe("invalid_payload")
  })

  it("never re-serializes: whitespace and key order survive in raw", async () => {
    const body = "{ \"b\" : 1,\n  \"a\":2 }"
    const { headers, raw } = signed(body)
    const { event } = await receive(raw, headers, { secret })
    expect(Buffer.from(event.raw).toString()).toBe(body)
  })

  it("fails loudly when given a parsed object instead of the raw body", async () => {
    const { headers } = signed("{}")
    await expect(receive({ a: 1 } as unknown as Uint8Array, headers, { secret })).rejects.toThrow(/raw/)
  })
})

describe("verifyRequest", () => {
  const request = (body: BodyInit | null, headers: Record<string, string>, extra: RequestInit = {}) =>
    new Request("http://localhost/webhooks", { method: "POST", body, headers, ...extra })

  it("verifies a valid Request", async () => {
    const body = "{\"type\":\"user.created\",\"data\":{\"id\":\"u1\"}}"
    const headers = sign(body, { secret, id: "msg_r" })
    const { duplicate, event } = await verifyRequest(request(body, headers), { secret })
    expect(duplicate).toBe(false)
    expect(event).toMatchObject({ id: "msg_r", type: "user.created", payload: { data: { id: "u1" } } })
    expect(Buffer.from(event.raw).toString()).toBe(body)
  })

  it("rejects a tampered Request", async () => {
    const headers = sign("{\"amount\":1}", { secret, id: "msg_r" })
    expect(await codeOfAsync(() => verifyRequest(request("{\"amount\":1000}", headers), { secret }))).toBe(
      "no_matching_signature"
    )
  })

  it("rejects a body over maxBodyBytes by Content-Length without reading it", async () => {
    const body = "x".repeat(2048)
    const headers = { ...sign(body, { secret, id: "m" }), "content-length": "2048" }
    const req = request(body, headers)
    expect(await codeOfAsync(() => verifyRequest(req, { secret, maxBodyBytes: 1024 }))).toBe("payload_too_large")
    expect(req.bodyUsed).toBe(false)
    expect(statusFor("payload_too_large")).toBe(413)
  })

  it("rejects a streamed body once it passes maxBodyBytes (no Content-Length), without reading it all", async () => {
    let pulled = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        if (pulled > 1000) controller.close()
        else controller.enqueue(new Uint8Array(1024).fill(0x20))
      }
    })
    const headers = sign("{}", { secret, id: "m" })
    const req = request(stream, headers, { duplex: "half" } as RequestInit)
    expect(await codeOfAsync(() => verifyRequest(req, { secret, maxBodyBytes: 10 * 1024 }))).toBe("payload_too_large")
    expect(pulled).toBeLessThan(20)
  })

  it("accepts a body exactly at the limit, and uses a 1 MiB default", async () => {
    const body = "{\"pad\":\"" + "x".repeat(1000 - 10) + "\"}"
    expect(body.length).toBe(1000)
    const headers = sign(body, { secret, id: "m" })
    await expect(verifyRequest(request(body, headers), { secret, maxBodyBytes: 1000 })).resolves.toBeDefined()
    const big = "\"" + "y".repeat(1024 * 1024) + "\""
    const bigHeaders = sign(big, { secret, id: "m" })
    expect(await codeOfAsync(() => verifyRequest(request(big, bigHeaders), { secret }))).toBe("payload_too_large")
  })

  it("deduplicates like receive", async () => {
    const dedup = new MemoryDedupStore()
    const body = "{}"
    const headers = sign(body, { secret, id: "msg_same" })
    expect((await verifyRequest(request(body, headers), { secret, dedup })).duplicate).toBe(false)
    expect((await verifyRequest(request(body, headers), { secret, dedup })).duplicate).toBe(true)
  })

  it("release() makes the id claimable again, for the sender's retry", async () => {
    const dedup = new MemoryDedupStore()
    const body = "{\"type\":\"invoice.paid\"}"
    const headers = sign(body, { secret, id: "msg_release" })
    const first = await verifyRequest(request(body, headers), { secret, dedup })
    expect(first.duplicate).toBe(false)
    expect((await verifyRequest(request(body, headers), { secret, dedup })).duplicate).toBe(true)
    await first.release()
    const retry = await verifyRequest(request(body, headers), { secret, dedup })
    expect(retry.duplicate).toBe(false)
    expect(retry.event.id).toBe("msg_release")
    expect((await verifyRequest(request(body, headers), { secret, dedup })).duplicate).toBe(true)
  })

  it("refuses a Request whose body was already consumed", async () => {
    const headers = sign("{}", { secret, id: "m" })
    const req = request("{}", headers)
    await req.text()
    await expect(verifyRequest(req, { secret })).rejects.toThrow(/already read/)
  })
})

describe("ReceiveResult.release", () => {
  /** A MemoryDedupStore whose releases are recorded, and optionally fail. */
  const releasing = (release?: (id: string) => void | Promise<void>) => {
    const memory = new MemoryDedupStore()
    const releases: Array<string> = []
    const store: DedupStore = {
      claim: (id, ttl) => memory.claim(id, ttl),
      release: (id) => {
        releases.push(id)
        return release === undefined ? memory.release(id) : release(id)
      }
    }
    return { memory, releases, store }
  }

  it("forgets the claim, so the retry is handled and the one after it is a duplicate again", async () => {
    const { releases, store } = releasing()
    const { headers, raw } = signed("{}", "msg_failed")
    const first = await receive(raw, headers, { secret, dedup: store })
    await first.release()
    expect(releases).toEqual(["msg_failed"])
    expect((await receive(raw, headers, { secret, dedup: store })).duplicate).toBe(false)
    expect((await receive(raw, headers, { secret, dedup: store })).duplicate).toBe(true)
  })

  it("reaches the store once, however often it is called, and every call shares the outcome", async () => {
    const { releases, store } = releasing()
    const { headers, raw } = signed("{}", "msg_once")
    const first = await receive(raw, headers, { secret, dedup: store })
    await Promise.all([first.release(), first.release()])
    // The retry claims again; a late release of the first delivery must not forget the retry's claim.
    const retry = await receive(raw, headers, { secret, dedup: store })
    await first.release()
    expect(releases).toEqual(["msg_once"])
    expect(retry.duplicate).toBe(false)
    expect((await receive(raw, headers, { secret, dedup: store })).duplicate).toBe(true)
  })

  it("calls the store synchronously, so an in-memory claim is gone as soon as release() returns", async () => {
    const { memory, store } = releasing()
    const { headers, raw } = signed("{}", "msg_sync")
    const first = await receive(raw, headers, { secret, dedup: store })
    void first.release()
    expect(memory.claim("msg_sync", 60)).toBe(true)
  })

  it("does nothing for a duplicate: its claim belongs to the delivery that made it", async () => {
    const { releases, store } = releasing()
    const { headers, raw } = signed("{}", "msg_dup")
    await receive(raw, headers, { secret, dedup: store })
    const duplicate = await receive(raw, headers, { secret, dedup: store })
    expect(duplicate.duplicate).toBe(true)
    await duplicate.release()
    expect(releases).toEqual([])
    expect((await receive(raw, headers, { secret, dedup: store })).duplicate).toBe(true)
  })

  it("resolves without a store, without an id, and with a store that cannot release (today's behaviour)", async () => {
    const { headers, raw } = signed("{}")
    await expect((await receive(raw, headers, { secret })).release()).resolves.toBeUndefined()

    const body = "{\"id\":\"evt_1\"}"
    const stripeHeaders = sign(body, { scheme: stripe, secret: "whsec_s", id: "unused" })
    const { releases, store } = releasing()
    const noId = await receive(Buffer.from(body), stripeHeaders, { scheme: stripe, secret: "whsec_s", dedup: store })
    await expect(noId.release()).resolves.toBeUndefined()
    expect(releases).toEqual([])

    const claimOnly = recording()
    const claimed = await receive(raw, headers, { secret, dedup: claimOnly.store })
    expect(claimed.duplicate).toBe(false)
    await expect(claimed.release()).resolves.toBeUndefined()
  })

  it("rejects, never throws, when the store fails to release (synchronously or not)", async () => {
    const { headers, raw } = signed("{}", "msg_fail")
    const sync = releasing(() => {
      throw new Error("release threw")
    })
    const a = await receive(raw, headers, { secret, dedup: sync.store })
    let pending: Promise<void> | undefined
    expect(() => (pending = a.release())).not.toThrow()
    await expect(pending).rejects.toThrow("release threw")
    await expect(a.release()).rejects.toThrow("release threw")
    expect(sync.releases).toEqual(["msg_fail"])

    const async = releasing(() => Promise.reject(new Error("redis down")))
    const b = await receive(raw, headers, { secret, dedup: async.store })
    await expect(b.release()).rejects.toThrow("redis down")
  })
})

describe("isHandlingFailure", () => {
  it("is true for 5xx only: 2xx/3xx mean handled, a 4xx is a deliberate rejection", () => {
    expect([500, 502, 503, 599].map(isHandlingFailure)).toEqual([true, true, true, true])
    expect([200, 204, 301, 304, 400, 404, 409, 429].map(isHandlingFailure)).toEqual(Array(8).fill(false))
  })
})

describe("releaseOnFailure", () => {
  /** Enough of a ServerResponse: the events and the fields releaseOnFailure reads. */
  const response = (init: Partial<ServerResponseLike> = {}) =>
    Object.assign(new EventEmitter(), { statusCode: 200, destroyed: false, writableFinished: false, ...init })

  const finish = (res: ReturnType<typeof response>, status: number) => {
    res.statusCode = status
    res.writableFinished = true
    res.emit("finish")
    res.destroyed = true
    res.emit("close")
  }

  const watched = (init: Partial<ServerResponseLike> = {}, release = () => Promise.resolve()) => {
    const result = { release: vi.fn(release) }
    const errors: Array<unknown> = []
    const res = response(init)
    releaseOnFailure(result, res, (error) => errors.push(error))
    return { errors, res, result }
  }

  it("releases when the response finishes with a 5xx, once", () => {
    const { res, result } = watched()
    finish(res, 503)
    expect(result.release).toHaveBeenCalledTimes(1)
  })

  it("keeps the claim for 2xx, 3xx and 4xx", () => {
    for (const status of [200, 204, 302, 400, 422]) {
      const { res, result } = watched()
      finish(res, status)
      expect(result.release, String(status)).not.toHaveBeenCalled()
    }
  })

  it("releases when the connection closes before the response is complete", () => {
    const { res, result } = watched()
    res.destroyed = true
    res.emit("close")
    expect(result.release).toHaveBeenCalledTimes(1)
  })

  it("releases at once when the connection was already gone, and judges an already finished response", () => {
    expect(watched({ destroyed: true }).result.release).toHaveBeenCalledTimes(1)
    expect(watched({ writableFinished: true, destroyed: true, statusCode: 500 }).result.release).toHaveBeenCalled()
    expect(watched({ writableFinished: true, destroyed: true, statusCode: 204 }).result.release).not.toHaveBeenCalled()
  })

  it("reports a failing release to onError instead of leaving a rejection unhandled", async () => {
    const failure = new Error("redis down")
    const { errors, res } = watched({}, () => Promise.reject(failure))
    finish(res, 500)
    await vi.waitFor(() => expect(errors).toEqual([failure]))
  })

  it("falls back to console.error when onError itself throws", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined)
    try {
      const res = response()
      releaseOnFailure({ release: () => Promise.reject(new Error("redis down")) }, res, () => {
        throw new Error("logger broken")
      })
      finish(res, 500)
      await vi.waitFor(() => expect(logged).toHaveBeenCalledWith(expect.objectContaining({ message: "logger broken" })))
    } finally {
      logged.mockRestore()
    }
  })
})
