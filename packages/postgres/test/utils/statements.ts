/**
 * Counts the statements (round trips) an effect sends: every `@effect/sql` execution runs in a span named
 * `sql.execute`, so a tracer that counts those spans, delegating to the current one, sees each of them.
 */
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"

export const countStatements = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<readonly [result: A, statements: number], E, R> =>
  Effect.tracerWith((base) => {
    let statements = 0
    const counting = Tracer.make({
      span: (name, ...rest) => {
        if (name === "sql.execute") statements++
        return base.span(name, ...rest)
      },
      context: (f, fiber) => base.context(f, fiber)
    })
    return Effect.map(Effect.withTracer(effect, counting), (result) => [result, statements] as const)
  })
