/**
 * The socket connector behind every undici `Pool` of the HTTP transport. It enforces the network policy (the SSRF
 * guard) on the address that is actually dialled: IP-literal hosts are checked before connecting; host names are
 * resolved by a `lookup` hook handed to `net.connect` / `tls.connect`, which returns only the addresses the policy
 * allows, so the socket can only ever connect to a checked address and DNS rebinding between "check" and "connect"
 * is impossible. Sockets, TLS sessions, keep-alive and the connect timeout are undici's own `buildConnector`.
 *
 * @internal
 */
import * as Dns from "node:dns"
import * as Net from "node:net"
import * as Tls from "node:tls"
import { buildConnector } from "undici"
import type { AddressClass, AddressPolicy } from "./ipRange.js"
import * as ProxyTunnel from "./proxyTunnel.js"

/**
 * A connection the network policy refused. `code` is what the transport's error mapping keys on.
 *
 * @internal
 */
export class BlockedAddressError extends Error {
  readonly code = "HOOKWIRE_BLOCKED"
  constructor(readonly address: string, readonly addressClass: AddressClass) {
    super(
      `refused to connect to ${address} (${addressClass} address); ` +
        "allow it with the transport's allowCidrs or allowPrivateNetworks options"
    )
    this.name = "BlockedAddressError"
  }
}

/** @internal */
export interface ConnectorOptions {
  readonly connectTimeoutMs: number
  /** Extra trusted CA certificates (PEM), in addition to Node's bundled roots. */
  readonly ca: ReadonlyArray<string>
  /** `undefined` = no policy (private networks allowed). */
  readonly policy: AddressPolicy | undefined
  /** Connect through this HTTP CONNECT proxy (see `proxyTunnel.ts`). */
  readonly proxy?: ProxyTunnel.Proxy | undefined
  /** An endpoint's mutual TLS: its client certificate and key, and CAs trusted instead of every other. */
  readonly clientTls?: ClientTls | undefined
}

/** @internal */
export interface ClientTls {
  readonly cert: string | undefined
  readonly key: string | undefined
  readonly ca: string | undefined
}

/**
 * One secure context per connector: passing `ca` per connection would re-parse ~150 root certificates on each TLS
 * handshake. An endpoint's own CA replaces the roots (it pins the receiver's private CA).
 */
const secureContextOf = (options: ConnectorOptions): Tls.SecureContext | undefined => {
  const client = options.clientTls
  if (client !== undefined) {
    return Tls.createSecureContext({
      ca: client.ca ?? [...Tls.rootCertificates, ...options.ca],
      ...(client.cert !== undefined && client.key !== undefined ? { cert: client.cert, key: client.key } : {})
    })
  }
  return options.ca.length > 0 ? Tls.createSecureContext({ ca: [...Tls.rootCertificates, ...options.ca] }) : undefined
}

/**
 * TLS alerts receivers sent, by connection. Under TLS 1.3 a receiver refuses a client certificate after the client
 * considers the handshake done: the alert reaches the socket as an `error` (code `ERR_SSL_…_ALERT_…`), but undici sees
 * the close first and reports "other side closed". Keeping the alert by the connection's addresses lets the
 * transport report what happened (`alertOf`). Entries are taken when read; the map is cleared if it ever grows.
 */
const alerts = new Map<string, Error>()

const connectionKey = (
  info: { readonly localAddress?: unknown; readonly localPort?: unknown; readonly remotePort?: unknown }
) => `${String(info.localAddress)}|${String(info.localPort)}|${String(info.remotePort)}`

const isAlert = (error: unknown): error is Error =>
  error instanceof Error && /^ERR_SSL_.*_ALERT_/.test(String((error as { code?: unknown }).code))

const watchAlerts = (socket: Net.Socket) =>
  socket.on("error", (error) => {
    if (!isAlert(error)) return
    if (alerts.size >= 1024) alerts.clear()
    alerts.set(connectionKey(socket), error)
  })

/**
 * The TLS alert behind an error undici reported for a connection (its `socket` info), if the receiver sent one.
 *
 * @internal
 */
export const alertOf = (error: unknown): Error | undefined => {
  const info = (error as { socket?: unknown } | null)?.socket
  if (info === null || typeof info !== "object") return undefined
  const key = connectionKey(info)
  const alert = alerts.get(key)
  if (alert !== undefined) alerts.delete(key)
  return alert
}

const lookupAll = (hostname: string, callback: (error: Error | null, addresses: Array<Dns.LookupAddress>) => void) =>
  Dns.lookup(hostname, { all: true }, (error, addresses) => callback(error, addresses ?? []))

const blocked = (address: string, addressClass: AddressClass) => new BlockedAddressError(address, addressClass)

/**
 * Through a proxy: the target is resolved and checked here, the proxy asked for the checked address, and TLS (SNI
 * and certificate checks on the original host name) runs through the tunnel with undici's own connector.
 */
const proxied = (
  base: buildConnector.connector,
  proxy: ProxyTunnel.Proxy,
  options: ConnectorOptions
): buildConnector.connector =>
(connectOptions, callback) => {
  const https = connectOptions.protocol === "https:"
  const port = Number(connectOptions.port) || (https ? 443 : 80)
  ProxyTunnel.resolveChecked(connectOptions.hostname, options.policy, lookupAll, blocked, (error, address) => {
    if (error !== null || address === undefined) return callback(error ?? new Error("no address"), null)
    ProxyTunnel.open(proxy, address, port, options.connectTimeoutMs, (error, socket) => {
      if (error !== null || socket === null) return callback(error ?? new Error("no tunnel"), null)
      if (!https) return callback(null, socket)
      base({ ...connectOptions, httpSocket: socket }, callback)
    })
  })
}

const guardedLookup = (policy: AddressPolicy): Net.LookupFunction => (hostname, options, callback) => {
  Dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, [])
    // Keep only allowed addresses: a name resolving to [public, 127.0.0.1] can only ever reach the public one.
    const allowed: Array<Dns.LookupAddress> = []
    let refused: BlockedAddressError | undefined
    for (const entry of addresses) {
      const addressClass = policy(entry.address)
      if (addressClass === undefined) allowed.push(entry)
      else refused ??= new BlockedAddressError(entry.address, addressClass)
    }
    if (allowed.length === 0) {
      return callback(refused ?? Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), [])
    }
    if (options.all === true) return callback(null, allowed)
    return callback(null, allowed[0].address, allowed[0].family)
  })
}

/**
 * @internal
 */
export const make = (options: ConnectorOptions): buildConnector.connector => {
  const secureContext = secureContextOf(options)
  const base = buildConnector({
    timeout: options.connectTimeoutMs,
    ...(secureContext !== undefined ? { secureContext } : {}),
    ...(options.policy !== undefined ? { lookup: guardedLookup(options.policy) } : {})
  })
  const watched: buildConnector.connector = (connectOptions, callback) =>
    base(connectOptions, (...args) => {
      if (args[0] === null && connectOptions.protocol === "https:") watchAlerts(args[1])
      callback(...args)
    })
  return guarded(watched, options)
}

const guarded = (base: buildConnector.connector, options: ConnectorOptions): buildConnector.connector => {
  if (options.proxy !== undefined) return proxied(base, options.proxy, options)
  const policy = options.policy
  if (policy === undefined) return base
  return (connectOptions, callback) => {
    // `net.connect` skips `lookup` for IP literals: check them here. WHATWG URL parsing already normalised
    // decimal, octal and hex IPv4 forms (`http://2130706433/`, `http://0x7f.1/`) to dotted quads.
    if (Net.isIP(connectOptions.hostname) !== 0) {
      const addressClass = policy(connectOptions.hostname)
      if (addressClass !== undefined) {
        const error = new BlockedAddressError(connectOptions.hostname, addressClass)
        process.nextTick(() => callback(error, null))
        return
      }
    }
    return base(connectOptions, callback)
  }
}
