/**
 * NATS JetStream destinations: an endpoint URL `nats://host[:port]/<subject>` publishes each delivery to that subject
 * through JetStream — the body as sent to an HTTP endpoint, the signature, id and timestamp headers (and the
 * endpoint's own) as NATS message headers. It counts as delivered only when a stream stored it (the JetStream
 * publish acknowledgement, whose stream and sequence the attempt log keeps). The message id
 * (`Nats-Msg-Id`) is the webhook id and the subject, so a retry after a lost acknowledgement is dropped by the
 * stream's duplicate window instead of stored twice. No stream for the subject answers 503; no connection is a
 * `TransportError`. Connections never reconnect by themselves: a broker that is down is retried like a receiver
 * that is down, on the endpoint's retry schedule.
 *
 * @since 0.5.0
 */
import * as AddressGuard from "@hookwire/core/AddressGuard"
import { TransportError } from "@hookwire/core/Errors"
import type { DestinationKind, Transport, TransportResponse } from "@hookwire/core/Transport"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { connect, ErrorCode, headers as natsHeaders, type NatsConnection, NatsError } from "nats"
import * as pool from "./internal/pool.js"
import * as request from "./internal/request.js"

/**
 * @since 0.5.0
 * @category models
 */
export interface Options {
  /** The SSRF guard for broker hosts (default: public addresses only). */
  readonly guard?: AddressGuard.Options | undefined
}

const SUBJECT_TOKEN = /^[^\s*>.]+$/

/**
 * The `nats:` destination kind and its URL check: the path is one subject, without wildcards.
 *
 * @since 0.5.0
 * @category models
 */
export const kind: DestinationKind = {
  name: "NATS JetStream",
  protocols: ["nats:"],
  check: (url) => {
    if (url.search !== "") return "takes no parameters: the subject is the path, like nats://broker.example/orders.paid"
    const subject = decodeURIComponent(url.pathname.slice(1))
    if (subject === "") return "name a subject as the path, like nats://broker.example/orders.paid"
    if (!subject.split(".").every((token) => SUBJECT_TOKEN.test(token))) {
      return `"${subject}" is not a subject to publish to: dot-separated tokens without spaces or wildcards (* >)`
    }
    return undefined
  }
}

const response = (status: number, body: string): TransportResponse => ({ status, headers: {}, body })

/**
 * The NATS JetStream transport (scoped: its connections close with the scope).
 *
 * @since 0.5.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Context.Tag.Service<Transport>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const guard = AddressGuard.make(options.guard)
    const connections = pool.make<NatsConnection>((nc) => nc.close().catch(() => undefined))
    yield* Effect.addFinalizer(() => Effect.promise(() => connections.closeAll()))

    const open =
      (address: string, port: number, credentials: request.Credentials, key: string, timeout: number) => async () => {
        const nc = await connect({
          servers: `${address.includes(":") ? `[${address}]` : address}:${port}`,
          reconnect: false,
          timeout,
          name: "hookwire",
          ...(credentials.token !== undefined ? { token: credentials.token } : {}),
          ...(credentials.username !== undefined
            ? { user: credentials.username, pass: credentials.password ?? "" }
            : {})
        })
        void nc.closed().then(() => connections.forget(key, nc))
        return nc
      }

    const publish = (nc: NatsConnection, subject: string, headers: Record<string, string>, body: string, ms: number) =>
      Effect.tryPromise({
        try: async () => {
          const h = natsHeaders()
          for (const name in headers) h.set(name, headers[name])
          const id = headers["webhook-id"] ?? headers["svix-id"]
          const ack = await nc.jetstream().publish(subject, Buffer.from(body), {
            headers: h,
            timeout: ms,
            ...(id !== undefined ? { msgID: `${id}:${subject}` } : {})
          })
          return response(
            200,
            JSON.stringify({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate })
          )
        },
        catch: (error) => error
      }).pipe(
        Effect.catchAll((error) =>
          error instanceof NatsError && error.code === ErrorCode.NoResponders
            ? Effect.succeed(response(503, `no JetStream stream stores subject "${subject}"`))
            : error instanceof NatsError && error.code === ErrorCode.Timeout
            ? Effect.fail(
              new TransportError({ code: "timeout", message: `JetStream did not acknowledge within ${ms} ms` })
            )
            : error instanceof NatsError && error.isJetStreamError()
            ? Effect.succeed(response(503, `JetStream refused the message: ${error.message}`))
            : Effect.fail(request.transportError(error, "NATS"))
        )
      )

    const send: Context.Tag.Service<Transport>["send"] = (req) =>
      Effect.gen(function*() {
        const url = new URL(req.url)
        const port = url.port === "" ? 4222 : Number(url.port)
        const subject = decodeURIComponent(url.pathname.slice(1))
        const { credentials, headers } = request.split(req.headers)
        if (credentials instanceof TransportError) return yield* credentials
        const address = yield* AddressGuard.resolve(guard, url.hostname)
        const key = `nats://${address}:${port}#${
          pool.digest(`${credentials.username ?? ""}:${credentials.password ?? ""}:${credentials.token ?? ""}`)
        }`
        const nc = yield* Effect.tryPromise({
          try: () => connections.get(key, open(address, port, credentials, key, req.timeoutMs)),
          catch: (e) =>
            e instanceof NatsError && e.code === ErrorCode.ConnectionRefused
              ? new TransportError({ code: "connect", message: `NATS at ${url.hostname}:${port}: connection refused` })
              : request.transportError(e, `NATS at ${url.hostname}:${port}`)
        })
        return yield* publish(nc, subject, headers, req.body, req.timeoutMs)
      }).pipe(
        Effect.timeoutFail({
          duration: Duration.millis(req.timeoutMs),
          onTimeout: () =>
            new TransportError({ code: "timeout", message: `NATS did not acknowledge within ${req.timeoutMs} ms` })
        })
      )

    return { send, destinations: [kind] }
  })
