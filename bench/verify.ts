/**
 * `pnpm bench verify` — ops/s of Hookwire's standard-scheme `verify` at 1 KiB and 64 KiB, side by side in one run
 * with the floor (raw node:crypto: HMAC-SHA256 over `{id}.{timestamp}.` + body, base64-decode the header signature,
 * `timingSafeEqual`) and with the `standardwebhooks` package. The machines are noisy, so implementations take turns
 * in short slices over several rounds; ops/s is the median over rounds and `ratio` the median of the per-round
 * ratios to raw. Bar (DESIGN.md §8): hookwire ratio ≥ 0.9 at 1 KiB.
 *
 * Flags: --rounds=N (default 15), --ms=N per slice (default 100), --sizes=1,64 (KiB), --verbose (every round),
 * --strict (exit 1 below the bar).
 */
import { sign, verify } from "@hookwire/verify"
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import { Webhook } from "standardwebhooks"
import { median, report, type Result } from "./lib/report.js"
import type { BenchArgs } from "./run.js"

const BAR = 0.9
const MAX_ITERATIONS_PER_SLICE = 50_000_000
const CHECK_EVERY = 64

type Headers = Record<string, string>
type Impl = (body: Buffer, headers: Headers) => void

const numberFlag = (value: string | boolean | undefined, fallback: number, min: number, max: number): number => {
  if (value === undefined || typeof value === "boolean") return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new Error(`flag value ${value} must be between ${min} and ${max}`)
  }
  return n
}

/** A JSON body of exactly `size` bytes, shaped like a real event. */
const makeBody = (size: number): Buffer => {
  const head = `{"type":"invoice.paid","id":"evt_${randomBytes(8).toString("hex")}","data":{"pad":"`
  const tail = `"}}`
  return Buffer.from(head + "x".repeat(Math.max(0, size - head.length - tail.length)) + tail)
}

const makeImpls = (secret: string): Record<string, Impl> => {
  const key = Buffer.from(secret.slice("whsec_".length), "base64")
  const options = { secret }
  const standardWebhook = new Webhook(secret)
  return {
    // The floor: what a hand-written verifier must do at least, with the key decoded once.
    raw: (body, headers) => {
      const expected = Buffer.from(headers["webhook-signature"].slice(3), "base64")
      const mac = createHmac("sha256", key)
        .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.`)
        .update(body)
        .digest()
      if (!timingSafeEqual(mac, expected)) throw new Error("raw: signature mismatch")
    },
    hookwire: (body, headers) => {
      verify(body, headers, options)
    },
    standardwebhooks: (body, headers) => {
      standardWebhook.verify(body, headers, { jsonParse: false })
    }
  }
}

/** Runs `impl` for about `ms` milliseconds (and at most a fixed number of iterations); returns ops/s. */
const slice = (impl: Impl, body: Buffer, headers: Headers, ms: number): number => {
  const start = performance.now()
  const deadline = start + ms
  let n = 0
  let now = start
  while (now < deadline && n < MAX_ITERATIONS_PER_SLICE) {
    for (let i = 0; i < CHECK_EVERY; i++) impl(body, headers)
    n += CHECK_EVERY
    now = performance.now()
  }
  return n / ((now - start) / 1000)
}

const checkImpls = (impls: Record<string, Impl>, body: Buffer, headers: Headers): void => {
  const tampered = Buffer.from(body)
  tampered[tampered.length - 3] ^= 1
  for (const [name, impl] of Object.entries(impls)) {
    impl(body, headers)
    let rejected = false
    try {
      impl(tampered, headers)
    } catch {
      rejected = true
    }
    if (!rejected) throw new Error(`${name} accepted a tampered body: the bench would measure nothing`)
  }
}

export default async function verifyBench(args: BenchArgs): Promise<void> {
  const rounds = numberFlag(args.flags.rounds, 15, 1, 100)
  const ms = numberFlag(args.flags.ms, 100, 10, 10_000)
  const sizes = typeof args.flags.sizes === "string"
    ? args.flags.sizes.split(",").map((s) => numberFlag(s, 1, 1, 16 * 1024))
    : [1, 64]
  const secret = "whsec_" + randomBytes(24).toString("base64")
  const impls = makeImpls(secret)
  const names = Object.keys(impls)
  const results: Array<Result> = []
  let belowBar = false

  for (const kib of sizes) {
    const body = makeBody(kib * 1024)
    // Fresh timestamp: verification applies the default 5-minute tolerance, and a run takes seconds.
    const headers = sign(body, { secret, id: "msg_" + randomBytes(12).toString("hex") })
    checkImpls(impls, body, headers)
    for (const name of names) slice(impls[name], body, headers, ms) // warm-up: JIT and caches

    const ops: Record<string, Array<number>> = Object.fromEntries(names.map((n) => [n, []]))
    const ratios: Record<string, Array<number>> = Object.fromEntries(names.map((n) => [n, []]))
    for (let round = 0; round < rounds; round++) {
      // Rotate the order so no implementation always runs first (or right after the garbage of another).
      const order = names.map((_, i) => names[(i + round) % names.length])
      const measured: Record<string, number> = {}
      for (const name of order) measured[name] = slice(impls[name], body, headers, ms)
      for (const name of names) {
        ops[name].push(measured[name])
        ratios[name].push(measured[name] / measured.raw)
      }
    }
    if (args.flags.verbose === true) {
      for (const name of names) console.log(`${kib}KiB ${name}: ${ops[name].map((o) => Math.round(o)).join(" ")}`)
    }
    for (const name of names) {
      const ratio = median(ratios[name])
      const result: Result = { payload: `${kib}KiB`, impl: name, ops_per_s: Math.round(median(ops[name])), ratio }
      if (name === "hookwire" && kib === 1) {
        result.bar = BAR
        result.meets = ratio >= BAR ? "yes" : "no"
        belowBar ||= ratio < BAR
      }
      results.push(result)
    }
  }
  const file = report("verify", results)
  console.log(`(rounds=${rounds}, slice=${ms} ms; ratio = median of per-round ops/s relative to raw; ${file})`)
  if (belowBar && args.flags.strict === true) process.exitCode = 1
}
