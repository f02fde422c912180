import { queueSuite } from "@hookwire/core/test/contract/QueueSuite"
import { describe, it } from "vitest"
import { available, newPrefix, queueLayer } from "./utils/redis.js"

// A prefix of its own: the suite's tests must not meet anything else's items.
if (available) {
  queueSuite("redis", queueLayer(newPrefix("contract"), "hookwire-test-contract"))
} else {
  describe.skip("Queue contract: redis", () => it("needs Redis"))
}
