/**
 * The default `Transport`: HTTP/1.1 `POST` on undici keep-alive pools, one `Pool` per origin (cached, bounded,
 * closed with the layer's scope). Each request has one overall deadline covering queueing, connect, headers and
 * body, so a receiver that never answers or drips bytes (slowloris) ends at `timeoutMs`. Redirects are never
 * followed (a 3xx is a response); at most `maxResponseBytes` of the body are read, then the connection is dropped,
 * so an endless body costs bounded memory. Headers are exactly the caller's (plus undici's `host`, `connection`,
 * `content-length`): no tracing headers. By default an SSRF guard refuses loopback, private, link-local, CGNAT,
 * multicast, reserved and IPv6 ULA/link-local/mapped addresses, checked on the resolved address at connect time so
 * DNS rebinding cannot bypass it; `allowCidrs` and `allowPrivateNetworks` open it for development and tests. TLS
 * certificates are always verified; `ca` adds trusted CAs. With an egress proxy (`proxy`, or a request's own) the
 * target is still resolved and checked here and the proxy asked for the checked address (`internal/proxyTunnel.ts`).
 * A request's own TLS identity (an endpoint's client certificate and CA, `TransportRequest.tls`) gets pools of its
 * own; a TLS alert from the receiver is reported as `tls_handshake`.
 *
 * One module past 400 lines: the pool cache, the per-request exchange (undici's handler holding the deadline and the
 * body cap) and the layers are one hot path over private state that only they touch; the connect-time guard, IP
 * ranges, error mapping and UTF-8 cutting are already their own modules under `internal/`.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { type Dispatcher, Pool } from "undici"
import * as EnvConfig from "./EnvConfig.js"
import { invalidOption, TransportError, type ValidationError } from "./Errors.js"
import * as Connector from "./internal/connector.js"
import * as IpRange from "./internal/ipRange.js"
import * as ProxyTunnel from "./internal/proxyTunnel.js"
import * as TransportErrors from "./internal/transportError.js"
import * as Utf8 from "./internal/utf8.js"
import { Transport, type TransportRequest, type TransportResponse, type TransportTls } from "./Transport.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Maximum open connections per origin (pipelining is 1: one request per connection at a time). Default 64: the
   * dispatcher's per-endpoint in-flight cap is the real limiter, so the pool must not be a hidden bottleneck below
   * it; idle connections close after `keepAliveTimeout`, so an unused allowance costs nothing.
   */
  readonly connections?: number | undefined
  /** How long an idle connection is kept open (capped by the receiver's `Keep-Alive: timeout` hint). Default 4 s. */
  readonly keepAliveTimeout?: Duration.DurationInput | undefined
  /** TCP + TLS connect timeout. The request's own `timeoutMs` still applies on top. Default 10 s. */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** How many origins keep a pool; the least recently used pool beyond this is closed. Default 1024. */
  readonly maxOrigins?: number | undefined
  /**
   * Extra trusted CA certificates (PEM), in addition to Node's bundled roots. Verification itself is always on.
   * `NODE_EXTRA_CA_CERTS` keeps working when this is not set.
   */
  readonly ca?: string | ReadonlyArray<string> | undefined
  /** Turns the SSRF guard off entirely: any address may be dialled. For development and tests. Default false. */
  readonly allowPrivateNetworks?: boolean | undefined
  /** Addresses (`"10.1.0.0/16"`, `"fd00::/8"`, `"127.0.0.1"`) the guard lets through although non-public. */
  readonly allowCidrs?: ReadonlyArray<string> | undefined
  /**
   * Send every request through this HTTP CONNECT proxy (`http://[user:password@]host:port`), e.g. one in front of
   * fixed source addresses that receivers allow-list. The SSRF guard still applies: the target is resolved and
   * checked first, and the proxy is asked for the checked address. A request's own `proxy` wins.
   */
  readonly proxy?: string | undefined
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const defaults = {
  connections: 64,
  keepAliveTimeout: Duration.seconds(4),
  connectTimeout: Duration.seconds(10),
  maxOrigins: 1024
} as const

interface Resolved {
  readonly connections: number
  readonly keepAliveTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly maxOrigins: number
  readonly ca: ReadonlyArray<string>
  readonly policy: IpRange.AddressPolicy | undefined
  readonly proxy: string | undefined
}

const positiveInteger = (value: number) => Number.isSafeInteger(value) && value > 0

const resolve = (options: Options): Resolved | string => {
  const connections = options.connections ?? defaults.connections
  if (!positiveInteger(connections)) return `connections must be a positive integer, got ${connections}`
  const maxOrigins = options.maxOrigins ?? defaults.maxOrigins
  if (!positiveInteger(maxOrigins)) return `maxOrigins must be a positive integer, got ${maxOrigins}`
  const cidrs: Array<IpRange.Cidr> = []
  for (const text of options.allowCidrs ?? []) {
    const cidr = IpRange.parseCidr(text)
    if (cidr === undefined) return `allowCidrs: "${text}" is not an IP address or CIDR range`
    cidrs.push(cidr)
  }
  if (options.proxy !== undefined) {
    const proxy = ProxyTunnel.parse(options.proxy)
    if (typeof proxy === "string") return `proxy: ${proxy}`
  }
  return {
    connections,
    keepAliveTimeoutMs: Duration.toMillis(options.keepAliveTimeout ?? defaults.keepAliveTimeout),
    connectTimeoutMs: Duration.toMillis(options.connectTimeout ?? defaults.connectTimeout),
    maxOrigins,
    ca: options.ca === undefined ? [] : typeof options.ca === "string" ? [options.ca] : options.ca,
    policy: options.allowPrivateNetworks === true ? undefined : IpRange.makePolicy(cidrs),
    proxy: options.proxy
  }
}

interface PoolEntry {
  /** The origin, after the proxy's URL when proxied. */
  readonly key: string
  readonly pool: Pool
  used: number
}

interface Target {
  readonly entry: PoolEntry
  readonly path: string
}

/** Caps the url → parsed target cache; a full cache is simply dropped and refilled. */
const maxTargets = 4096

/**
 * The pools by origin (and proxy), and parsed targets by URL so the hot path parses each endpoint URL once.
 */
class Pools {
  private readonly byOrigin = new Map<string, PoolEntry>()
  private readonly targets = new Map<string, Target>()
  private readonly poolOptions: Pool.Options
  /** Pool options per proxy URL and TLS identity: each has its own connector. */
  private readonly proxied = new Map<string, Pool.Options | TransportError>()
  private tick = 0
  closed = false

  constructor(private readonly resolved: Resolved) {
    this.poolOptions = this.optionsFor(undefined)
  }

  private optionsFor(proxy: ProxyTunnel.Proxy | undefined, clientTls?: TransportTls | undefined): Pool.Options {
    return {
      connections: this.resolved.connections,
      pipelining: 1,
      keepAliveTimeout: this.resolved.keepAliveTimeoutMs,
      connect: Connector.make({
        connectTimeoutMs: this.resolved.connectTimeoutMs,
        ca: this.resolved.ca,
        policy: this.resolved.policy,
        proxy,
        clientTls
      })
    }
  }

  private specialOptions(via: string, proxy: string | undefined, tls: TransportTls | undefined) {
    let options = this.proxied.get(via)
    if (options === undefined) {
      const parsed = proxy === undefined ? undefined : ProxyTunnel.parse(proxy)
      // The message never repeats the URL, which may carry the proxy's credentials.
      if (typeof parsed === "string") {
        options = new TransportError({ code: "unknown", message: `invalid egress proxy: ${parsed}` })
      } else {
        try {
          options = this.optionsFor(parsed, tls)
        } catch (error) {
          // A certificate or key node cannot use; its message names the problem, never the key.
          const code = (error as { code?: unknown }).code
          options = new TransportError({
            code: "tls",
            message: `the endpoint's TLS settings are unusable${typeof code === "string" ? ` (${code})` : ""}`
          })
        }
      }
      if (this.proxied.size >= this.resolved.maxOrigins) this.proxied.clear()
      this.proxied.set(via, options)
    }
    return options
  }

  target(url: string, proxy: string | undefined, tls: TransportTls | undefined): Target | TransportError {
    const via = proxy === undefined && tls === undefined ? undefined : `${proxy ?? ""} ${tls?.id ?? ""}`
    const key = via === undefined ? url : `${via} ${url}`
    const cached = this.targets.get(key)
    if (cached !== undefined) {
      cached.entry.used = ++this.tick
      return cached
    }
    if (this.closed) return new TransportError({ code: "unknown", message: "the transport is closed" })
    if (!URL.canParse(url)) return new TransportError({ code: "unknown", message: "invalid URL" })
    const parsed = new URL(url)
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
      return new TransportError({ code: "unknown", message: `unsupported URL scheme ${parsed.protocol}` })
    }
    const options = via === undefined ? this.poolOptions : this.specialOptions(via, proxy, tls)
    if (options instanceof TransportError) return options
    const entry = this.pool(parsed.origin, via === undefined ? parsed.origin : `${via} ${parsed.origin}`, options)
    const target: Target = { entry, path: parsed.pathname + parsed.search }
    if (this.targets.size >= maxTargets) this.targets.clear()
    this.targets.set(key, target)
    return target
  }

  private pool(origin: string, key: string, options: Pool.Options): PoolEntry {
    const existing = this.byOrigin.get(key)
    if (existing !== undefined) {
      existing.used = ++this.tick
      return existing
    }
    if (this.byOrigin.size >= this.resolved.maxOrigins) this.evictLeastRecentlyUsed()
    const entry: PoolEntry = { key, pool: new Pool(origin, options), used: ++this.tick }
    this.byOrigin.set(key, entry)
    return entry
  }

  private evictLeastRecentlyUsed(): void {
    let oldest: PoolEntry | undefined
    for (const entry of this.byOrigin.values()) {
      if (oldest === undefined || entry.used < oldest.used) oldest = entry
    }
    if (oldest === undefined) return
    this.byOrigin.delete(oldest.key)
    // Cached targets may point at the evicted pool.
    this.targets.clear()
    // Graceful: requests already on the pool complete; close() cannot fail on a pool that is not destroyed.
    oldest.pool.close(ignore)
  }

  destroy(): Promise<unknown> {
    this.closed = true
    this.targets.clear()
    const pools = Array.from(this.byOrigin.values(), (entry) => entry.pool.destroy())
    this.byOrigin.clear()
    return Promise.all(pools)
  }
}

const ignore = () => {}

/** Passed to undici when we stop a request ourselves; the exchange is already settled, so nobody reads it. */
const settled = new Error("hookwire: request settled")

/** How an exchange reports its end: the response, or why there is none. */
type Resume = (result: TransportResponse | TransportError) => void

const onDeadline = (exchange: Exchange) => exchange.deadline()

/**
 * One request/response. Implements undici's dispatch handler directly: no response stream, no promise, and the
 * body is collected up to the byte limit, after which the request is aborted (undici drops the connection).
 */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined = undefined
  private done = false
  private status = 0
  private headers: Record<string, string> = {}
  private chunks: Array<Buffer> | undefined = undefined
  private received = 0
  private truncated = false
  private readonly timer: NodeJS.Timeout
  /** Stops the request (nothing is reported after it). */
  readonly cancel: () => void

  constructor(
    private readonly maxBytes: number,
    private readonly timeoutMs: number,
    private readonly resume: Resume
  ) {
    this.timer = setTimeout(onDeadline, timeoutMs, this)
    this.cancel = () => this.stop()
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Settled while still queued for a connection (deadline or interruption): never send it. Throwing here makes
    // undici drop the request unwritten and keep the socket for the next one; `controller.abort` would destroy a
    // healthy keep-alive connection (and undici would then open another).
    if (this.done) throw settled
    this.controller = controller
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | Array<string> | undefined>
  ): void {
    if (statusCode < 200) return // 1xx informational: the final response follows
    this.status = statusCode
    for (const name in headers) {
      const value = headers[name]
      if (typeof value !== "string") headers[name] = value === undefined ? "" : value.join(", ")
    }
    this.headers = headers as Record<string, string>
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return
    const room = this.maxBytes - this.received
    if (chunk.length <= room) {
      if (chunk.length > 0) (this.chunks ??= []).push(chunk)
      this.received += chunk.length
      return
    }
    if (room > 0) {
      ;(this.chunks ??= []).push(chunk.subarray(0, room))
      this.received += room
    }
    this.truncated = true
    this.succeed()
    // Read no further: an endless body must not be consumed. The connection is dropped, not reused.
    controller.abort(settled)
  }

  onResponseEnd(): void {
    if (!this.done) this.succeed()
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.done) return
    this.done = true
    clearTimeout(this.timer)
    this.resume(TransportErrors.fromCause(Connector.alertOf(error) ?? error))
  }

  deadline(): void {
    if (this.done) return
    this.done = true
    this.resume(new TransportError({ code: "timeout", message: `no complete response within ${this.timeoutMs} ms` }))
    this.controller?.abort(settled)
  }

  private stop(): void {
    if (this.done) return
    this.done = true
    clearTimeout(this.timer)
    this.controller?.abort(settled)
  }

  private succeed(): void {
    this.done = true
    clearTimeout(this.timer)
    const chunks = this.chunks
    let body = ""
    if (chunks !== undefined) {
      const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.received)
      body = this.truncated ? Utf8.decodeCut(bytes) : bytes.toString("utf8")
    }
    this.resume({ status: this.status, headers: this.headers, body })
  }
}

/**
 * Starts one request on its origin's pool; `resume` gets its end (possibly before this returns: a bad URL, a closed
 * pool). Returns the exchange's cancel, or undefined when it ended at once.
 */
const dispatch = (
  pools: Pools,
  resolved: Resolved,
  request: TransportRequest,
  resume: Resume
): (() => void) | undefined => {
  const target = pools.target(request.url, request.proxy ?? resolved.proxy, request.tls)
  if (target instanceof TransportError) {
    resume(target)
    return undefined
  }
  const exchange = new Exchange(request.maxResponseBytes, request.timeoutMs, resume)
  target.entry.pool.dispatch({
    method: "POST",
    path: target.path,
    headers: request.headers,
    body: request.body,
    // Belt and braces under our own deadline, which also covers queueing and connect.
    headersTimeout: request.timeoutMs,
    bodyTimeout: request.timeoutMs
  }, exchange)
  return exchange.cancel
}

const noop = () => {}

/**
 * `Transport.unsafeSend`: the exchange reports to `done` directly. An end reported while the request is being
 * dispatched (a bad URL, a closed pool) is passed on in a microtask, as the port asks.
 */
const unsafeSend = (pools: Pools, resolved: Resolved) =>
(
  request: TransportRequest,
  done: (result: TransportResponse | TransportError) => void
): () => void => {
  let dispatching = true
  let early: TransportResponse | TransportError | undefined
  const cancel = dispatch(pools, resolved, request, (result) => {
    if (dispatching) early = result
    else done(result)
  })
  dispatching = false
  if (early !== undefined) {
    const result = early
    let cancelled = false
    queueMicrotask(() => {
      if (!cancelled) done(result)
    })
    return () => {
      cancelled = true
    }
  }
  return cancel ?? noop
}

const toEffect = (result: TransportResponse | TransportError): Effect.Effect<TransportResponse, TransportError> =>
  result instanceof TransportError ? Effect.fail(result) : Effect.succeed(result)

const makeResolved = (resolved: Resolved): Effect.Effect<Context.Tag.Service<Transport>, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => new Pools(resolved)),
      (pools) => Effect.promise(() => pools.destroy())
    ),
    (pools) => ({
      // A plain function around one `Effect.async`: no generator, no span, no promise on the hot path. The
      // register callback takes exactly one parameter so Effect does not allocate an AbortController for it.
      send: (request: TransportRequest) =>
        Effect.async<TransportResponse, TransportError>((resume) => {
          const cancel = dispatch(pools, resolved, request, (result) => resume(toEffect(result)))
          return cancel === undefined ? undefined : Effect.sync(cancel)
        }),
      unsafeSend: unsafeSend(pools, resolved)
    })
  )

/**
 * Builds the transport; its pools are destroyed when the scope closes. Invalid options fail it with a
 * `ValidationError` (`invalid_option`, field `http`) that says what to fix.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Context.Tag.Service<Transport>, ValidationError, Scope.Scope> =>
  Effect.suspend(() => {
    const resolved = resolve(options)
    return typeof resolved === "string"
      ? Effect.fail(invalidOption("http", `HttpTransport: ${resolved}`))
      : makeResolved(resolved)
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Transport, ValidationError> =>
  Layer.scoped(Transport, make(options))

const cidrList = (text: string): Either.Either<ReadonlyArray<string>, string> => {
  const items = text.split(",").map((item) => item.trim()).filter((item) => item.length > 0)
  const bad = items.find((item) => IpRange.parseCidr(item) === undefined)
  return bad === undefined
    ? Either.right(items)
    : Either.left(`Expected comma-separated IP addresses or CIDR ranges (like "10.0.0.0/8,fd00::/8"), got "${bad}"`)
}

/**
 * The options read from the environment: `HOOKWIRE_HTTP_CONNECTIONS` and `HOOKWIRE_HTTP_MAX_ORIGINS` (positive whole
 * numbers), `HOOKWIRE_HTTP_KEEP_ALIVE_TIMEOUT` and `HOOKWIRE_HTTP_CONNECT_TIMEOUT` (durations such as
 * `"4 seconds"`), `HOOKWIRE_HTTP_ALLOW_PRIVATE_NETWORKS` (true/false), `HOOKWIRE_HTTP_ALLOW_CIDRS` (comma-separated)
 * `HOOKWIRE_HTTP_CA` (PEM text; for a file, `NODE_EXTRA_CA_CERTS` does the same job) and `HOOKWIRE_HTTP_PROXY` (an
 * HTTP CONNECT egress proxy for every request; `HTTPS_PROXY` is deliberately not read). A bad value is a `ConfigError`
 * naming the variable.
 *
 * @since 0.2.0
 * @category config
 */
export const defaultConfig: Config.Config<Options> = Config.all({
  connections: EnvConfig.integer("HOOKWIRE_HTTP_CONNECTIONS", { min: 1 }).pipe(
    Config.withDefault(defaults.connections)
  ),
  keepAliveTimeout: EnvConfig.duration("HOOKWIRE_HTTP_KEEP_ALIVE_TIMEOUT", { min: Duration.zero }).pipe(
    Config.withDefault<Duration.DurationInput>(defaults.keepAliveTimeout)
  ),
  connectTimeout: EnvConfig.duration("HOOKWIRE_HTTP_CONNECT_TIMEOUT", { min: Duration.millis(1) }).pipe(
    Config.withDefault<Duration.DurationInput>(defaults.connectTimeout)
  ),
  maxOrigins: EnvConfig.integer("HOOKWIRE_HTTP_MAX_ORIGINS", { min: 1 }).pipe(Config.withDefault(defaults.maxOrigins)),
  allowPrivateNetworks: EnvConfig.boolean("HOOKWIRE_HTTP_ALLOW_PRIVATE_NETWORKS").pipe(Config.withDefault(false)),
  allowCidrs: EnvConfig.parsed("HOOKWIRE_HTTP_ALLOW_CIDRS", cidrList).pipe(
    Config.withDefault<ReadonlyArray<string>>([])
  ),
  ca: EnvConfig.optional(Config.string("HOOKWIRE_HTTP_CA")),
  proxy: EnvConfig.optional(Config.string("HOOKWIRE_HTTP_PROXY"))
})

/**
 * The old name of `defaultConfig`.
 *
 * @since 0.1.0
 * @category config
 * @deprecated Use `defaultConfig`.
 */
export const config: Config.Config<Options> = defaultConfig

/**
 * The transport configured from `Config` (by default `defaultConfig`, i.e. the `HOOKWIRE_HTTP_*` environment). Invalid
 * values fail with a `ConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<Options> = defaultConfig
): Layer.Layer<Transport, ConfigError.ConfigError> =>
  Layer.scoped(
    Transport,
    Effect.flatMap(Config.unwrap(options), (options) => {
      const resolved = resolve(options)
      return typeof resolved === "string" ?
        Effect.fail(ConfigError.InvalidData([], `HttpTransport: ${resolved}`)) :
        makeResolved(resolved)
    })
  )
