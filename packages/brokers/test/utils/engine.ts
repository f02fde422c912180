/**
 * The engine the broker tests drive: memory storage, a running dispatcher polling often, HTTP recorded, the broker
 * kinds given, loopback brokers allowed through the SSRF guard; every engine made is closed after each test.
 */
import { Catalog, createHookwire, RecordingTransport, RetryPolicy } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import { afterEach } from "vitest"
import * as BrokerTransport from "../../src/BrokerTransport.js"

export const catalog = Catalog.make({ "order.paid": { description: "An order was paid" } })

/** The SSRF guard's options that let the tests' loopback brokers through. */
export const loopback = { guard: { allowCidrs: ["127.0.0.1"] } }

const open: Array<{ close: () => Promise<void> }> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()))
})

export const engine = (transport: BrokerTransport.Options, retryPolicy: RetryPolicy.RetryPolicy) => {
  const hookwire = createHookwire({
    adapter: memory(),
    catalog,
    logger: false,
    transport: BrokerTransport.layer({ http: RecordingTransport.layer(), ...transport }),
    retryPolicy,
    timeout: "2 seconds",
    dispatcher: { pollInterval: "50 millis" }
  })
  open.push(hookwire)
  return hookwire
}

export type Engine = ReturnType<typeof engine>
