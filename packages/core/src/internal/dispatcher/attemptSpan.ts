/**
 * What the `Dispatcher.attempt` span says about its attempt, following OpenTelemetry's HTTP client conventions: a
 * `client` span with `http.request.method`, `http.response.status_code` when the receiver answered, and `error.type`
 * (the status code, or the transport error's kind) for every outcome that is not delivered — which also ends the span
 * in error, though the attempt itself (as an effect) succeeded: a 500 or a timeout is data for the retry policy, but a
 * failed call for whoever reads the trace.
 */
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import type * as Tracer from "effect/Tracer"
import type * as RetryPolicy from "../../RetryPolicy.js"

/** Why the span ended in error, as its exit's failure. */
export class AttemptNotDelivered extends Error {
  readonly _tag = "AttemptNotDelivered"
  constructor(readonly errorType: string) {
    super(`the attempt was not delivered: ${errorType}`)
    this.name = "AttemptNotDelivered"
  }
}

/**
 * Annotates the span with the attempt's outcome (undefined when no request was sent: the rate limit sent it back to
 * the queue) and returns the exit it ends with.
 */
export const end = (
  span: Tracer.Span,
  exit: Exit.Exit<unknown, unknown>,
  outcome: RetryPolicy.Outcome | undefined
): Exit.Exit<unknown, unknown> => {
  if (Exit.isFailure(exit)) {
    span.attribute("error.type", Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "unexpected")
    return exit
  }
  if (outcome === undefined) return exit
  span.attribute("http.request.method", "POST")
  if (outcome._tag === "Response") {
    span.attribute("http.response.status_code", outcome.status)
    if (outcome.status >= 200 && outcome.status < 300) return exit
    const errorType = String(outcome.status)
    span.attribute("error.type", errorType)
    return Exit.fail(new AttemptNotDelivered(errorType))
  }
  span.attribute("error.type", outcome.kind)
  return Exit.fail(new AttemptNotDelivered(outcome.kind))
}
