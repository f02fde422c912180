/**
 * The floor: no queue, no store. `concurrency` async loops over a shared `Poster` (lib/post.ts); each takes the next
 * message, signs it, POSTs it and reads the response. Ids and bodies (the same 1 KiB envelopes Hookwire builds) are
 * made in `prepare`, before the clock starts, so the raw loop does the least a sender must do.
 */
import * as Id from "@hookwire/core/Id"
import { type Contender, singleUrl } from "../contender.js"
import { dataMaker, envelope } from "../message.js"
import { makePoster } from "../post.js"

const raw: Contender = async (config) => {
  const { concurrency, messages, runTimeoutMs } = config
  const makeData = dataMaker(config.bodyBytes)
  const now = Date.now()
  const ids = Array.from({ length: messages }, () => Id.make("msg", now))
  const bodies = Array.from({ length: messages }, (_, i) => envelope(makeData(i), now))
  const poster = makePoster(singleUrl(config, "raw"), config.secret, concurrency)
  return {
    run: async () => {
      let next = 0
      let failed = 0
      const start = performance.now()
      const deadline = start + runTimeoutMs
      const worker = async () => {
        for (let i = next++; i < messages; i = next++) {
          if (performance.now() > deadline) throw new Error(`raw: not finished within ${runTimeoutMs} ms`)
          if (!(await poster.post(ids[i], bodies[i]))) failed++
        }
      }
      await Promise.all(Array.from({ length: concurrency }, worker))
      const ms = performance.now() - start
      if (failed > 0) throw new Error(`raw: ${failed} requests did not get a 2xx`)
      return { ms }
    },
    close: () => poster.close()
  }
}

export default raw
