/**
 * "How to verify" snippets for an endpoint's signature scheme: Node with @hookwire/verify and Python with the
 * standard library, with the scheme's header names filled in. The schemes are the ones @hookwire/verify ships
 * (`standard`, `stripe`, `github`, `presets.marketAlerts`, `presets.tradingSignals`), matched on the endpoint's
 * effective scheme as the API reports it (`Endpoint.signature`: the endpoint's own scheme, else the host's default)
 * and on its header names; any other scheme gets no snippet, only its header names.
 */
import type { Signature } from "../client/types.js"

/** What a receiver needs to know to check a signature. */
export interface SchemeInfo {
  /** The scheme's name as the endpoint carries it. */
  readonly name: string
  /** How the Node snippet names the scheme: an import from @hookwire/verify and the expression passed as `scheme`. */
  readonly node: { readonly importName: string | null; readonly expression: string | null }
  readonly signatureHeader: string
  readonly timestampHeader: string | null
  readonly idHeader: string | null
  /** Text before each encoded signature in the header (`v1,`, `sha256=`, `v1=`). */
  readonly prefix: string
  readonly encoding: "hex" | "base64"
  /** The signed content, a template over `{id}`, `{timestamp}` and `{body}`. */
  readonly content: string
  /** `whsec`: the secret after `whsec_` is base64; `raw`: the secret's UTF-8 bytes are the key. */
  readonly secret: "whsec" | "raw"
  /** How signatures are listed in the header: space-separated (standard), comma pairs (stripe) or one. */
  readonly list: "space" | "stripe" | "single"
}

const KNOWN: ReadonlyArray<SchemeInfo> = [
  {
    name: "standard",
    node: { importName: null, expression: null },
    signatureHeader: "webhook-signature",
    timestampHeader: "webhook-timestamp",
    idHeader: "webhook-id",
    prefix: "v1,",
    encoding: "base64",
    content: "{id}.{timestamp}.{body}",
    secret: "whsec",
    list: "space"
  },
  {
    name: "stripe",
    node: { importName: "stripe", expression: "stripe" },
    signatureHeader: "stripe-signature",
    timestampHeader: null,
    idHeader: null,
    prefix: "v1=",
    encoding: "hex",
    content: "{timestamp}.{body}",
    secret: "raw",
    list: "stripe"
  },
  {
    name: "github",
    node: { importName: "github", expression: "github" },
    signatureHeader: "x-hub-signature-256",
    timestampHeader: null,
    idHeader: "x-github-delivery",
    prefix: "sha256=",
    encoding: "hex",
    content: "{body}",
    secret: "raw",
    list: "single"
  },
  {
    name: "marketAlerts",
    node: { importName: "presets", expression: "presets.marketAlerts" },
    signatureHeader: "x-vq-signature",
    timestampHeader: "x-vq-timestamp",
    idHeader: "x-vq-webhook-id",
    prefix: "",
    encoding: "hex",
    content: "{timestamp}.{body}",
    secret: "raw",
    list: "single"
  },
  {
    name: "tradingSignals",
    node: { importName: "presets", expression: "presets.tradingSignals" },
    signatureHeader: "x-webhook-signature",
    timestampHeader: null,
    idHeader: null,
    prefix: "sha256=",
    encoding: "hex",
    content: "{body}",
    secret: "raw",
    list: "single"
  }
]

/**
 * What the portal knows of a scheme: from an endpoint's `signature` (the scheme in effect, whose header names must
 * match the known ones: a host's own scheme may reuse a name), or from a scheme's name (null: Standard Webhooks).
 * `undefined` for a scheme it has no snippet for.
 */
export const schemeInfo = (scheme: Signature | string | null | undefined): SchemeInfo | undefined => {
  if (scheme === null || scheme === undefined || typeof scheme === "string") {
    return KNOWN.find((s) => s.name === (scheme ?? "standard"))
  }
  const known = KNOWN.find((s) => s.name === scheme.scheme)
  return known !== undefined && known.signatureHeader === scheme.signatureHeader &&
      known.timestampHeader === scheme.timestampHeader && known.idHeader === scheme.idHeader
    ? known
    : undefined
}

/** The Node snippet: Express with the raw body, verified by @hookwire/verify. */
export const nodeSnippet = (info: SchemeInfo): string => {
  const imports = ["verify", ...(info.node.importName === null ? [] : [info.node.importName])].join(", ")
  const schemeOption = info.node.expression === null ? "" : `scheme: ${info.node.expression}, `
  return [
    `import express from "express"`,
    `import { ${imports} } from "@hookwire/verify"`,
    ``,
    `const app = express()`,
    `app.post("/webhooks", express.raw({ type: "application/json" }), (req, res) => {`,
    `  try {`,
    `    // checks the ${info.signatureHeader} header against the exact raw body`,
    `    verify(req.body, req.headers, { ${schemeOption}secret: process.env.WEBHOOK_SECRET })`,
    `  } catch {`,
    `    return res.status(400).send("invalid signature")`,
    `  }`,
    `  const event = JSON.parse(req.body.toString("utf8"))`,
    `  res.sendStatus(204)`,
    `})`
  ].join("\n")
}

const pyHeader = (name: string) => `headers[${JSON.stringify(name)}]`

/** The signed content as a Python expression over `body` (bytes) and the header variables. */
const pyContent = (info: SchemeInfo): string => {
  const parts = info.content.split("{body}")
  const before = parts[0]!.replace("{id}", "{msg_id}").replace("{timestamp}", "{timestamp}")
  const after = (parts[1] ?? "").replace("{id}", "{msg_id}")
  const pre = before === "" ? "" : `f"${before}".encode() + `
  const post = after === "" ? "" : ` + f"${after}".encode()`
  return `${pre}body${post}`
}

/** The Python snippet: standard library only (hmac, hashlib, base64). */
export const pythonSnippet = (info: SchemeInfo): string => {
  const lines = ["import base64, hashlib, hmac, os, time", "", "def verify(body: bytes, headers) -> bool:"]
  lines.push(`    # headers: a case-insensitive mapping of the request's headers; body: the raw bytes`)
  if (info.secret === "whsec") {
    lines.push(`    key = base64.b64decode(os.environ["WEBHOOK_SECRET"].removeprefix("whsec_"))`)
  } else {
    lines.push(`    key = os.environ["WEBHOOK_SECRET"].encode()`)
  }
  if (info.list === "stripe") {
    lines.push(`    pairs = [p.split("=", 1) for p in ${pyHeader(info.signatureHeader)}.split(",")]`)
    lines.push(`    timestamp = next(v for k, v in pairs if k == "t")`)
    lines.push(`    signatures = [v for k, v in pairs if k == "v1"]`)
  } else {
    if (info.idHeader !== null && info.content.includes("{id}")) lines.push(`    msg_id = ${pyHeader(info.idHeader)}`)
    if (info.timestampHeader !== null) lines.push(`    timestamp = ${pyHeader(info.timestampHeader)}`)
    const header = pyHeader(info.signatureHeader)
    lines.push(
      info.list === "space"
        ? `    signatures = [s.removeprefix(${JSON.stringify(info.prefix)}) for s in ${header}.split(" ")]`
        : `    signatures = [${header}.removeprefix(${JSON.stringify(info.prefix)})]`
    )
  }
  if (info.content.includes("{timestamp}")) {
    lines.push(
      `    if abs(time.time() - int(timestamp)) > 300:`,
      `        return False  # too old or too new: a replay`
    )
  }
  lines.push(`    mac = hmac.new(key, ${pyContent(info)}, hashlib.sha256).digest()`)
  lines.push(
    info.encoding === "base64" ? `    expected = base64.b64encode(mac).decode()` : `    expected = mac.hex()`
  )
  lines.push(`    return any(hmac.compare_digest(expected, s) for s in signatures)`)
  return lines.join("\n")
}
