/**
 * The "how to verify" snippets are code a customer pastes: the Python one is run here, with the real python3, on
 * requests signed by @hookwire/verify for every scheme the portal knows, and must accept them and refuse a tampered
 * body.
 */
import { generateSecret, github, presets, type Scheme, standard, stripe } from "@hookwire/verify"
import { execFileSync } from "node:child_process"
import { describe, expect, it } from "vitest"
import { nodeSnippet, pythonSnippet, schemeInfo } from "../src/internal/snippets.js"

const hasPython = (() => {
  try {
    execFileSync("python3", ["--version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()
if (!hasPython) console.warn("python3 not found: the Python snippet tests are skipped")

const runPython = (snippet: string, body: string, headers: Record<string, string>, secret: string): boolean => {
  const program =
    `${snippet}\n\nimport json, sys\nclass H(dict):\n    def __getitem__(self, k): return dict.__getitem__(self, k.lower())\n` +
    `data = json.load(sys.stdin)\nprint(verify(data["body"].encode(), H({k.lower(): v for k, v in data["headers"].items()})))\n`
  const out = execFileSync("python3", ["-c", program], {
    input: JSON.stringify({ body, headers }),
    env: { ...process.env, WEBHOOK_SECRET: secret }
  })
  return out.toString().trim() === "True"
}

const cases: ReadonlyArray<readonly [string | null, Scheme, string]> = [
  [null, standard, generateSecret()],
  ["standard", standard, generateSecret()],
  ["stripe", stripe, "whsec_plain_text_secret"],
  ["github", github, "It's a Secret to Everybody"],
  ["marketAlerts", presets.marketAlerts, "vq-secret"],
  ["tradingSignals", presets.tradingSignals, "ts-secret"]
]

describe("verification snippets", () => {
  for (const [name, scheme, secret] of cases) {
    const info = schemeInfo(name)!
    it.skipIf(!hasPython)(`python accepts what ${name ?? "the default"} signs and refuses a changed body`, () => {
      const body = JSON.stringify({ type: "invoice.paid", data: { amount: 4200 } })
      const headers = scheme.sign({ id: "msg_1", timestamp: Math.floor(Date.now() / 1000), body, secrets: [secret] })
      expect(runPython(pythonSnippet(info), body, headers, secret)).toBe(true)
      expect(runPython(pythonSnippet(info), body.replace("4200", "4201"), headers, secret)).toBe(false)
    })

    it(`names the ${name ?? "default"} scheme's signature header in both snippets`, () => {
      expect(pythonSnippet(info)).toContain(JSON.stringify(info.signatureHeader))
      expect(nodeSnippet(info)).toContain(info.signatureHeader)
      const headerNames = Object.keys(scheme.sign({ id: "msg_1", timestamp: 1, body: "{}", secrets: [secret] }))
      expect(headerNames).toContain(info.signatureHeader)
      if (info.timestampHeader !== null) expect(headerNames).toContain(info.timestampHeader)
      if (info.idHeader !== null) expect(headerNames).toContain(info.idHeader)
    })
  }

  it("passes the scheme to verify() only when it is not the default", () => {
    expect(nodeSnippet(schemeInfo("standard")!)).not.toContain("scheme:")
    expect(nodeSnippet(schemeInfo("marketAlerts")!)).toContain("scheme: presets.marketAlerts")
    expect(nodeSnippet(schemeInfo("marketAlerts")!)).toContain(`import { verify, presets } from "@hookwire/verify"`)
  })

  it("knows no scheme it cannot describe", () => {
    expect(schemeInfo("shopify")).toBeUndefined()
  })
})

describe("snippets for an endpoint's signature as the API reports it", () => {
  const github = { scheme: "github", signatureHeader: "x-hub-signature-256", timestampHeader: null, idHeader: null }

  it("follow the scheme in effect, not the Standard Webhooks default", () => {
    const info = schemeInfo({ ...github, idHeader: "x-github-delivery" })
    expect(info?.name).toBe("github")
    expect(nodeSnippet(info!)).toContain("scheme: github")
  })

  it("give no snippet when a host's own scheme reuses a known name with other headers", () => {
    expect(schemeInfo(github)).toBeUndefined() // the real github scheme also sends x-github-delivery
    expect(schemeInfo({ ...github, scheme: "acme" })).toBeUndefined()
  })
})
