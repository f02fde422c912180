/**
 * `start()` and `close()` of the Promise API. `start()` builds the dispatcher in a scope of its own: a second call
 * while the first is still building waits for it (it resolves only once the dispatcher runs), and a failed start
 * rejects with the typed error and can be tried again. `close()` stops the dispatcher (waiting for a start in
 * progress), then always disposes the runtime — also when stopping failed — so pools and connections never leak.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import type { Resilient } from "./runtime.js"

export interface DispatcherControl {
  readonly start: () => Promise<void>
  readonly close: () => Promise<void>
  readonly closed: () => boolean
}

export const closedError = () => new Error("This Hookwire instance is closed")

export const make = <A, R>(runtime: Resilient<R>, dispatcher: Layer.Layer<A, unknown, R>): DispatcherControl => {
  let scope: Scope.CloseableScope | undefined
  let starting: Promise<void> | undefined
  let closed = false

  const build = async (): Promise<void> => {
    const made = Effect.runSync(Scope.make())
    try {
      await runtime.run(Layer.buildWithScope(dispatcher, made))
      scope = made
    } catch (error) {
      starting = undefined
      await Effect.runPromise(Scope.close(made, Exit.void))
      throw error
    }
  }

  return {
    start: () => {
      if (closed) return Promise.reject(closedError())
      starting ??= build()
      return starting
    },
    close: async () => {
      if (closed) return
      closed = true
      try {
        // A start in progress finishes first (its failure was its caller's to handle), so its scope is closed too.
        if (starting !== undefined) await starting.then(() => undefined, () => undefined)
        if (scope !== undefined) await runtime.run(Scope.close(scope, Exit.void))
      } finally {
        scope = undefined
        await runtime.dispose()
      }
    },
    closed: () => closed
  }
}
