import { request } from "node:http"
/** The official Standard Webhooks test vector (standard-webhooks/libraries). */
export const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: "{\"test\": 2432232314}",
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
} as const

/** GitHub's documented example (docs.github.com, "Validating webhook deliveries"). */
export const GITHUB_VECTOR = {
  secret: "It's a Secret to Everybody",
  body: "Hello, World!",
  signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
} as const

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: any
}

/** POSTs over real HTTP; `body` as a string or bytes (Content-Length set) or an async iterable (chunked). */
export const post = async (
  url: string,
  body: string | Uint8Array<ArrayBuffer> | AsyncIterable<Uint8Array>,
  headers: Record<string, string>,
  contentType: string | null = "application/json"
): Promise<Answer> => {
  const init: RequestInit & { duplex?: "half" } = {
    method: "POST",
    headers: contentType === null ? headers : { ...headers, "content-type": contentType }
  }
  if (typeof body === "string" || body instanceof Uint8Array) {
    init.body = body
  } else {
    // undici streams an async iterable with Transfer-Encoding: chunked; the DOM typings do not know that.
    init.body = body as unknown as BodyInit
    init.duplex = "half"
  }
  const response = await fetch(url, init)
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON (e.g. Express's default HTML error page): keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed }
}

/** `count` chunks of `size` bytes, streamed without a Content-Length. */
export async function* chunks(count: number, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < count; i++) yield new Uint8Array(size).fill(0x20)
}

/**
 * Sends only the headers of a POST that declares `declared` body bytes, and resolves with the status once the server
 * answers: a server that waited for the body would never answer (and the test would time out).
 */
export const declareOnly = (url: string, declared: number, headers: Record<string, string> = {}): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "content-length": String(declared) }
    })
    req.on("response", (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
      req.destroy()
    })
    req.on("error", reject)
    req.flushHeaders()
  })
