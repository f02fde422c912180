/**
 * RabbitMQ destinations: an endpoint URL `amqp://host[:port][/vhost]?exchange=<name>&routingKey=<key>` (or
 * `amqps://` for TLS) publishes each delivery to that exchange with that routing key — the body as sent to an HTTP
 * endpoint, the signature, id and timestamp headers (and the endpoint's own) as message headers, persistent, marked
 * `mandatory`. It counts as delivered only when the broker confirms it (publisher confirms): a message no queue takes
 * (`NO_ROUTE`) answers 404, a negative acknowledgement 503, a missing exchange 404 — each an attempt that failed, and
 * is retried like a receiver's error; no connection is a `TransportError` (`connect`, `dns`, `blocked`, `timeout`),
 * retried like a receiver that is down. One connection and one confirm channel per broker, shared by every send.
 *
 * @since 0.5.0
 */
import * as AddressGuard from "@hookwire/core/AddressGuard"
import { TransportError } from "@hookwire/core/Errors"
import type { DestinationKind, Transport, TransportResponse } from "@hookwire/core/Transport"
import * as amqp from "amqplib"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import * as pool from "./internal/pool.js"
import * as request from "./internal/request.js"

/**
 * @since 0.5.0
 * @category models
 */
export interface Options {
  /** The SSRF guard for broker hosts (default: public addresses only). */
  readonly guard?: AddressGuard.Options | undefined
  /** AMQP heartbeat, in seconds (default 30): a dead connection is noticed within about twice this. */
  readonly heartbeatSeconds?: number | undefined
  /** The connection name the broker shows (`connection_name`; default "hookwire"). */
  readonly connectionName?: string | undefined
}

const PARAMS = new Set(["exchange", "routingKey"])

/**
 * The `amqp:` / `amqps:` destination kind and its URL check.
 *
 * @since 0.5.0
 * @category models
 */
export const kind: DestinationKind = {
  name: "RabbitMQ",
  protocols: ["amqp:", "amqps:"],
  check: (url) => {
    for (const key of url.searchParams.keys()) {
      if (!PARAMS.has(key)) return `unknown parameter ${key}: use exchange and routingKey`
    }
    const exchange = url.searchParams.get("exchange") ?? ""
    const routingKey = url.searchParams.get("routingKey") ?? ""
    if (exchange === "" && routingKey === "") {
      return "name an exchange and/or a routing key, like amqp://broker.example/?exchange=webhooks&routingKey=orders " +
        "(with the default exchange, the routing key is a queue's name)"
    }
    if (exchange.length > 255 || routingKey.length > 255) return "exchange and routing key are at most 255 characters"
    if (url.pathname.length > 1 && url.pathname.slice(1).includes("/")) {
      return "the path is the virtual host: one segment, with a \"/\" in it written as %2F"
    }
    return undefined
  }
}

interface Target {
  readonly host: string
  readonly port: number
  readonly tls: boolean
  readonly vhost: string
  readonly exchange: string
  readonly routingKey: string
}

const targetOf = (raw: string): Target => {
  const url = new URL(raw)
  const tls = url.protocol === "amqps:"
  return {
    host: url.hostname,
    port: url.port === "" ? (tls ? 5671 : 5672) : Number(url.port),
    tls,
    vhost: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : "/",
    exchange: url.searchParams.get("exchange") ?? "",
    routingKey: url.searchParams.get("routingKey") ?? ""
  }
}

/** One pooled broker connection: its confirm channel (re-opened after the broker closed it) and returned ids. */
interface Pooled {
  readonly model: amqp.ChannelModel
  channel: Promise<amqp.ConfirmChannel> | undefined
  /** Why the broker last closed the channel (e.g. `NOT_FOUND - no exchange 'x'`), for the sends it failed. */
  channelError: { readonly code: number; readonly message: string } | undefined
  readonly returned: Set<string>
}

const channelOf = (pooled: Pooled): Promise<amqp.ConfirmChannel> => {
  if (pooled.channel !== undefined) return pooled.channel
  const opening = pooled.model.createConfirmChannel().then((channel) => {
    pooled.channelError = undefined
    channel.on("error", (error: { code?: number; message?: string }) => {
      pooled.channelError = { code: error.code ?? 0, message: String(error.message ?? error) }
    })
    channel.on("close", () => {
      if (pooled.channel === opening) pooled.channel = undefined
    })
    channel.on("return", (message: amqp.Message) => {
      const id = message.properties.messageId
      if (typeof id === "string") pooled.returned.add(id)
    })
    return channel
  })
  opening.catch(() => {
    if (pooled.channel === opening) pooled.channel = undefined
  })
  pooled.channel = opening
  return opening
}

const response = (status: number, body: string): TransportResponse => ({ status, headers: {}, body })

/**
 * The RabbitMQ transport (scoped: its connections close with the scope).
 *
 * @since 0.5.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Context.Tag.Service<Transport>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const guard = AddressGuard.make(options.guard)
    const heartbeat = options.heartbeatSeconds ?? 30
    const connections = pool.make<Pooled>((pooled) => pooled.model.close().catch(() => undefined))
    yield* Effect.addFinalizer(() => Effect.promise(() => connections.closeAll()))

    const connect = (target: Target, address: string, credentials: request.Credentials, key: string) => async () => {
      const model = await amqp.connect(
        {
          protocol: target.tls ? "amqps" : "amqp",
          hostname: address,
          port: target.port,
          vhost: target.vhost,
          heartbeat,
          ...(credentials.username !== undefined
            ? { username: credentials.username, password: credentials.password ?? "" }
            : {})
        },
        {
          clientProperties: { connection_name: options.connectionName ?? "hookwire" },
          ...(target.tls ? { servername: target.host } : {})
        }
      )
      const pooled: Pooled = { model, channel: undefined, channelError: undefined, returned: new Set() }
      const forget = () => connections.forget(key, pooled)
      model.on("error", forget)
      model.on("close", forget)
      return pooled
    }

    const publish = (pooled: Pooled, target: Target, headers: Record<string, string>, body: string) =>
      Effect.flatMap(
        Effect.tryPromise({ try: () => channelOf(pooled), catch: (e) => request.transportError(e, "RabbitMQ") }),
        (channel) =>
          Effect.async<TransportResponse, TransportError>((resume) => {
            const messageId = randomUUID()
            channel.publish(target.exchange, target.routingKey, Buffer.from(body), {
              headers,
              messageId,
              contentType: headers["content-type"] ?? "application/json",
              persistent: true,
              mandatory: true,
              timestamp: Math.floor(Date.now() / 1000)
            }, (error: unknown) => {
              const returned = pooled.returned.delete(messageId)
              if (error === null || error === undefined) {
                resume(Effect.succeed(
                  returned
                    ? response(
                      404,
                      `NO_ROUTE: no queue is bound to exchange "${target.exchange}" for routing key ` +
                        `"${target.routingKey}"`
                    )
                    : response(
                      200,
                      `confirmed by RabbitMQ (exchange "${target.exchange}", routing key ` +
                        `"${target.routingKey}")`
                    )
                ))
                return
              }
              const closed = pooled.channelError
              const text = error instanceof Error ? error.message : ""
              resume(
                text === "message nacked"
                  ? Effect.succeed(response(503, "RabbitMQ refused the message (negative acknowledgement)"))
                  : closed !== undefined && closed.code > 0
                  // The broker closed the channel over this publish, e.g. 404 NOT_FOUND - no exchange.
                  ? Effect.succeed(response(closed.code === 404 ? 404 : 503, closed.message))
                  : Effect.fail(request.transportError(error, "RabbitMQ"))
              )
            })
          })
      )

    const send: Context.Tag.Service<Transport>["send"] = (req) =>
      Effect.gen(function*() {
        const target = targetOf(req.url)
        const { credentials, headers } = request.split(req.headers)
        if (credentials instanceof TransportError) return yield* credentials
        const address = yield* AddressGuard.resolve(guard, target.host)
        const key = `${target.tls ? "amqps" : "amqp"}://${address}:${target.port}/${target.vhost}#${
          pool.digest(`${credentials.username ?? ""}:${credentials.password ?? ""}`)
        }`
        const pooled = yield* Effect.tryPromise({
          try: () => connections.get(key, connect(target, address, credentials, key)),
          catch: (e) => request.transportError(e, `RabbitMQ at ${target.host}:${target.port}`)
        })
        return yield* publish(pooled, target, headers, req.body)
      }).pipe(
        Effect.timeoutFail({
          duration: Duration.millis(req.timeoutMs),
          onTimeout: () =>
            new TransportError({ code: "timeout", message: `RabbitMQ did not confirm within ${req.timeoutMs} ms` })
        })
      )

    return { send, destinations: [kind] }
  })
