/**
 * Egress through an HTTP CONNECT proxy (a smokescreen or squid in front of fixed source addresses), without giving up
 * the SSRF guard. The target host is resolved and checked here, before anything is sent to the proxy, and the proxy
 * is asked to reach the checked address (`CONNECT 203.0.113.7:443`), never the name: a proxy resolving the name
 * itself could get another (rebinding) answer. TLS then runs end to end through the tunnel with the original host
 * name as SNI and for certificate verification, and undici sends the original `Host` header.
 *
 * Why not undici's `ProxyAgent`: it sends `CONNECT <host>:<port>` with the URL's host name, and offers no hook to put
 * a checked address in its place, so the proxy would do the (unchecked) resolution.
 *
 * @internal
 */
import * as Dns from "node:dns"
import * as Net from "node:net"
import type { AddressPolicy } from "./ipRange.js"

/** A parsed egress proxy: where it listens and, when its URL carried credentials, its `Proxy-Authorization`. */
export interface Proxy {
  readonly host: string
  readonly port: number
  readonly authorization: string | undefined
}

/**
 * Parses `http://[user:password@]host:port`; a string saying what to fix otherwise (never echoing credentials).
 *
 * @internal
 */
export const parse = (text: string): Proxy | string => {
  if (typeof text !== "string" || !URL.canParse(text)) {
    return "a proxy must be a URL like http://proxy.internal:3128"
  }
  const url = new URL(text)
  if (url.protocol !== "http:") {
    return `a proxy URL must use http: (the CONNECT request is plain; TLS runs inside the tunnel), got ${url.protocol}`
  }
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "") {
    return "a proxy URL is only http://[user:password@]host:port, without a path or query"
  }
  const user = decodeURIComponent(url.username)
  const password = decodeURIComponent(url.password)
  return {
    host: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === "" ? 80 : Number(url.port),
    authorization: user === "" && password === ""
      ? undefined
      : `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
  }
}

/** A CONNECT the proxy refused or answered with something else than a tunnel. */
export class ProxyError extends Error {
  readonly code = "HOOKWIRE_PROXY"
  constructor(message: string) {
    super(message)
    this.name = "ProxyError"
  }
}

/** The first address of `hostname` the policy allows (or the address itself for an IP literal). */
export const resolveChecked = (
  hostname: string,
  policy: AddressPolicy | undefined,
  lookup: (hostname: string, callback: (error: Error | null, addresses: Array<Dns.LookupAddress>) => void) => void,
  blocked: (address: string, addressClass: NonNullable<ReturnType<AddressPolicy>>) => Error,
  callback: (error: Error | null, address: string | undefined) => void
): void => {
  if (Net.isIP(hostname) !== 0) {
    const addressClass = policy?.(hostname)
    return callback(addressClass === undefined ? null : blocked(hostname, addressClass), hostname)
  }
  lookup(hostname, (error, addresses) => {
    if (error) return callback(error, undefined)
    let refused: Error | undefined
    for (const entry of addresses) {
      const addressClass = policy?.(entry.address)
      if (addressClass === undefined) return callback(null, entry.address)
      refused ??= blocked(entry.address, addressClass)
    }
    callback(refused ?? Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), undefined)
  })
}

/** The largest CONNECT answer read; a proxy sending more is not one. */
const MAX_ANSWER_BYTES = 16 * 1024

/**
 * Opens a tunnel through `proxy` to `address:port` (an IP address, already checked). Calls back once with the
 * socket, positioned after the proxy's answer, or an error (the socket then destroyed). `timeoutMs` bounds the
 * proxy's connect and answer together.
 */
export const open = (
  proxy: Proxy,
  address: string,
  port: number,
  timeoutMs: number,
  callback: (error: Error | null, socket: Net.Socket | null) => void
): void => {
  const authority = Net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`
  const socket = Net.connect({ host: proxy.host, port: proxy.port })
  let done = false
  let received = Buffer.alloc(0)
  const finish = (error: Error | null) => {
    if (done) return
    done = true
    clearTimeout(timer)
    socket.removeListener("data", onData)
    socket.removeListener("error", finish)
    socket.removeListener("close", onClose)
    if (error !== null) {
      socket.destroy()
      return callback(error, null)
    }
    callback(null, socket)
  }
  const timer = setTimeout(() => {
    finish(Object.assign(new Error("egress proxy did not open the tunnel in time"), { code: "ETIMEDOUT" }))
  }, timeoutMs)
  const onClose = () => finish(new ProxyError("egress proxy closed the connection before answering CONNECT"))
  const onData = (chunk: Buffer) => {
    received = Buffer.concat([received, chunk])
    const end = received.indexOf("\r\n\r\n")
    if (end < 0) {
      if (received.length > MAX_ANSWER_BYTES) finish(new ProxyError("egress proxy answered CONNECT with too much"))
      return
    }
    const statusLine = received.subarray(0, received.indexOf("\r\n")).toString("latin1")
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]
    if (status === undefined) return finish(new ProxyError("egress proxy answered CONNECT with invalid HTTP"))
    if (status !== "200") {
      // The proxy's status says why (403: destination denied; 407: credentials; 502: unreachable).
      return finish(new ProxyError(`egress proxy refused CONNECT to ${authority} with status ${status}`))
    }
    const rest = received.subarray(end + 4)
    // Nothing more is read until the tunnel's user (TLS, or undici for http) takes the socket over.
    socket.pause()
    if (rest.length > 0) socket.unshift(rest)
    finish(null)
  }
  socket.on("data", onData)
  socket.on("error", finish)
  socket.on("close", onClose)
  socket.once("connect", () => {
    socket.write(
      `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n` +
        (proxy.authorization === undefined ? "" : `Proxy-Authorization: ${proxy.authorization}\r\n`) +
        "\r\n"
    )
  })
}
