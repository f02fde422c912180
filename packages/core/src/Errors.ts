/**
 * The typed errors of Hookwire's sending side. Every error that crosses a boundary (the API, an adapter, the Promise
 * facade) is a `Schema.TaggedError` with a `_tag`, a `code` (snake_case, the same field and casing as the management
 * API's problem+json `code` and the stored attempt error kinds) and a message that says what was wrong and what to do.
 * None of them ever carries a secret.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * A Storage adapter failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class StorageError extends Schema.TaggedError<StorageError>("@hookwire/core/StorageError")("StorageError", {
  code: Schema.Literal("connection", "conflict", "not_found", "unknown"),
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/**
 * A Queue adapter failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class QueueError extends Schema.TaggedError<QueueError>("@hookwire/core/QueueError")("QueueError", {
  code: Schema.Literal("connection", "unknown"),
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/**
 * No HTTP response was obtained. A receiver's 4xx/5xx is not an error: it is an attempt outcome.
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Schema.TaggedError<TransportError>("@hookwire/core/TransportError")(
  "TransportError",
  {
    code: Schema.Literal(
      "timeout",
      "connect",
      "dns",
      "tls",
      "tls_handshake",
      "blocked",
      "protocol",
      "unknown",
      "oauth_token"
    ),
    message: Schema.String
  }
) {}

/**
 * The input to a public operation was invalid. `code` names the rule; `field` the offending input.
 *
 * @since 0.1.0
 * @category errors
 */
export class ValidationError extends Schema.TaggedError<ValidationError>("@hookwire/core/ValidationError")(
  "ValidationError",
  {
    code: Schema.Literal(
      "invalid_url",
      "insecure_url",
      "url_credentials",
      "invalid_event_filter",
      "invalid_payload_filter",
      "invalid_channel",
      "invalid_header",
      "reserved_header",
      "invalid_secret",
      "invalid_tenant",
      "invalid_option",
      "invalid_cursor",
      "invalid_id",
      "invalid_input",
      "payload_too_large"
    ),
    field: Schema.String,
    message: Schema.String
  }
) {}

/**
 * The `ValidationError` of a bad option passed in code: `code: "invalid_option"`, `field` the option's path (e.g.
 * `"dispatcher.concurrency"`), and a message that says what is accepted.
 *
 * @since 0.2.0
 * @category constructors
 */
export const invalidOption = (field: string, message: string): ValidationError =>
  new ValidationError({ code: "invalid_option", field, message })

/**
 * Resolves a layer's options with `resolve`, which throws a `ValidationError` for a bad one (as `Settings.resolve`
 * and the adapters' option checks do): the error becomes the failure of the effect, so a layer given a bad option in
 * code fails with a typed error that says what to fix instead of dying. Anything else thrown stays a defect: it is a
 * bug, not a bad option.
 *
 * @since 0.2.0
 * @category constructors
 */
export const checkOptions = <A>(resolve: () => A): Effect.Effect<A, ValidationError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(resolve())
    } catch (error) {
      return error instanceof ValidationError ? Effect.fail(error) : Effect.die(error)
    }
  })

/**
 * `publish` named a type the catalog does not know, or data that does not match its Schema.
 *
 * @since 0.1.0
 * @category errors
 */
export class EventTypeError extends Schema.TaggedError<EventTypeError>("@hookwire/core/EventTypeError")(
  "EventTypeError",
  {
    code: Schema.Literal("unknown_event_type", "invalid_event_data"),
    type: Schema.String,
    message: Schema.String
  }
) {}

/**
 * No record with that id exists for that tenant (records of other tenants are indistinguishable from missing ones).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>("@hookwire/core/NotFound")("NotFound", {
  code: Schema.Literal("endpoint_not_found", "message_not_found", "delivery_not_found"),
  id: Schema.String,
  message: Schema.String
}) {}

/**
 * The tenant already has as many endpoints as its limit allows.
 *
 * @since 0.1.0
 * @category errors
 */
export class EndpointLimitExceeded
  extends Schema.TaggedError<EndpointLimitExceeded>("@hookwire/core/EndpointLimitExceeded")("EndpointLimitExceeded", {
    code: Schema.Literal("endpoint_limit_exceeded"),
    tenant: Schema.String,
    limit: Schema.Number,
    message: Schema.String
  })
{}

/**
 * The operation does not apply to the record in its current state (e.g. retrying a cancelled delivery).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidState extends Schema.TaggedError<InvalidState>("@hookwire/core/InvalidState")("InvalidState", {
  code: Schema.Literal("delivery_not_retryable", "delivery_in_flight", "endpoint_disabled"),
  id: Schema.String,
  message: Schema.String
}) {}
