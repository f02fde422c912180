/**
 * The typed client of the management API, derived from the same `HttpApi` definition as the server: every route is
 * a method with typed arguments, answers and problems. `make` gives the Effect client (over any `HttpClient`);
 * `create` gives the same methods as Promises over `fetch`, for SDKs and scripts that do not use Effect — a
 * rejected Promise carries the problem document (`status`, `code`, `errors`).
 *
 * @since 0.3.0
 */
import {
  FetchHttpClient,
  HttpApiClient,
  HttpClient,
  HttpClientRequest,
  type HttpClientResponse
} from "@effect/platform"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { ManagementApi } from "./Api.js"

/**
 * @since 0.3.0
 * @category models
 */
export interface Options {
  /** The API's URL including the mount path, e.g. "https://api.example.com/webhooks". */
  readonly baseUrl: string
  /** An access token (`hwt_…`) or whatever the host's `authenticate` accepts, sent as a Bearer token. */
  readonly token: string
}

/**
 * The Effect client. Requires an `HttpClient` (e.g. `FetchHttpClient.layer`).
 *
 * @since 0.3.0
 * @category constructors
 */
export const make = (options: Options) =>
  HttpApiClient.make(ManagementApi, {
    baseUrl: options.baseUrl,
    transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(options.token))
  })

/**
 * @since 0.3.0
 * @category models
 */
export type EffectClient = Effect.Effect.Success<ReturnType<typeof make>>

type Promised<C> = {
  readonly [G in keyof C]: {
    readonly [M in keyof C[G]]: C[G][M] extends (...args: infer A) => Effect.Effect<infer R, any, any>
      // Each method is overloaded with a `withResponse` form answering [value, response]: keep the value.
      ? (...args: A) => Promise<Exclude<R, readonly [unknown, HttpClientResponse.HttpClientResponse]>>
      : never
  }
}

/**
 * The Promise client: `client.endpoints.create({ payload: { url } })`, `client.endpoints.list({ urlParams: {} })`.
 *
 * @since 0.3.0
 * @category models
 */
export type PromiseClient = Promised<EffectClient> & { readonly close: () => Promise<void> }

/**
 * The Promise client over `fetch`. A failed call rejects with the problem document (a `Problem` instance) or the
 * transport error.
 *
 * @example
 * ```ts
 * import { Client } from "@hookwire/api"
 *
 * const client = Client.create({ baseUrl: "http://127.0.0.1:3000/webhooks", token: "hwt_..." })
 * const page = await client.endpoints.list({ urlParams: {} })
 * ```
 *
 * @since 0.3.0
 * @category constructors
 */
export const create = (options: Options): PromiseClient => {
  const runtime = ManagedRuntime.make(Layer.empty.pipe(Layer.provideMerge(FetchHttpClient.layer)))
  const client = runtime.runPromise(make(options))
  const run = async <A>(f: (c: EffectClient) => Effect.Effect<A, unknown>): Promise<A> => {
    const exit = await runtime.runPromiseExit(Effect.flatMap(Effect.promise(() => client), f))
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  }
  const groups = ["session", "eventTypes", "endpoints", "messages", "deliveries"] as const
  const out: Record<string, unknown> = { close: () => runtime.dispose() }
  for (const group of groups) {
    out[group] = new Proxy({}, {
      get: (_target, method) => (...args: Array<unknown>) =>
        run((c) => ((c as any)[group][method] as (...a: Array<unknown>) => Effect.Effect<unknown>)(...args))
    })
  }
  return out as PromiseClient
}
