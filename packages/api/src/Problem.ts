/**
 * The management API's errors: RFC 9457 problem documents (`application/problem+json`), one Schema class per HTTP
 * status so the OpenAPI document and the typed client know each one. `fromError` turns the engine's typed errors
 * into them, keeping the engine error's `code`; validation failures list every field path in `errors`.
 *
 * @since 0.3.0
 */
import { HttpApiSchema } from "@effect/platform"
import type * as Errors from "@hookwire/core/Errors"
import * as Schema from "effect/Schema"

/**
 * @since 0.3.0
 * @category models
 */
export const FieldError = Schema.Struct({ path: Schema.String, message: Schema.String }).annotations({
  identifier: "FieldError"
})

const fields = {
  type: Schema.String,
  title: Schema.String,
  status: Schema.Number,
  detail: Schema.String,
  code: Schema.String,
  errors: Schema.optionalWith(Schema.Array(FieldError), { exact: true })
}

const annotations = (status: number, identifier: string): Schema.Annotations.Schema<any> => ({
  ...HttpApiSchema.annotations({ status }),
  [HttpApiSchema.AnnotationEncoding]: { kind: "Json", contentType: "application/problem+json" },
  identifier,
  description: `RFC 9457 problem document (status ${status})`
})

/**
 * @since 0.3.0
 * @category errors
 */
export class BadRequest extends Schema.Class<BadRequest>("BadRequest")(fields, annotations(400, "BadRequest")) {}

/**
 * @since 0.3.0
 * @category errors
 */
export class Unauthorized
  extends Schema.Class<Unauthorized>("Unauthorized")(fields, annotations(401, "Unauthorized"))
{}

/**
 * @since 0.3.0
 * @category errors
 */
export class Forbidden extends Schema.Class<Forbidden>("Forbidden")(fields, annotations(403, "Forbidden")) {}

/**
 * @since 0.3.0
 * @category errors
 */
export class NotFound extends Schema.Class<NotFound>("NotFound")(fields, annotations(404, "NotFound")) {}

/**
 * @since 0.3.0
 * @category errors
 */
export class Conflict extends Schema.Class<Conflict>("Conflict")(fields, annotations(409, "Conflict")) {}

/**
 * @since 0.3.0
 * @category errors
 */
export class PayloadTooLarge
  extends Schema.Class<PayloadTooLarge>("PayloadTooLarge")(fields, annotations(413, "PayloadTooLarge"))
{}

/**
 * @since 0.3.0
 * @category errors
 */
export class Internal extends Schema.Class<Internal>("Internal")(fields, annotations(500, "Internal")) {}

/**
 * Any problem the API answers with.
 *
 * @since 0.3.0
 * @category models
 */
export type Problem = BadRequest | Unauthorized | Forbidden | NotFound | Conflict | PayloadTooLarge | Internal

const classes = {
  400: BadRequest,
  401: Unauthorized,
  403: Forbidden,
  404: NotFound,
  409: Conflict,
  413: PayloadTooLarge,
  500: Internal
} as const

const titles: Record<keyof typeof classes, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Content Too Large",
  500: "Internal Server Error"
}

/**
 * A problem of the given status, `code` and detail.
 *
 * @since 0.3.0
 * @category constructors
 */
export const make = <S extends keyof typeof classes>(
  status: S,
  code: string,
  detail: string,
  errors?: ReadonlyArray<{ readonly path: string; readonly message: string }>
): InstanceType<(typeof classes)[S]> =>
  new classes[status]({
    type: `urn:hookwire:problem:${code}`,
    title: titles[status],
    status,
    detail,
    code,
    ...(errors === undefined ? {} : { errors })
  }) as InstanceType<(typeof classes)[S]>

/**
 * The engine errors the API's operations can fail with.
 *
 * @since 0.3.0
 * @category models
 */
export type EngineError =
  | Errors.StorageError
  | Errors.QueueError
  | Errors.ValidationError
  | Errors.EventTypeError
  | Errors.NotFound
  | Errors.EndpointLimitExceeded
  | Errors.InvalidState

/**
 * The problem for an engine error: validation → 400 with the field path, not found → 404, a limit or a state that
 * does not allow the operation → 409, a store or queue failure → 500 (without its internals).
 *
 * @since 0.3.0
 * @category constructors
 */
export const fromError = (error: EngineError): BadRequest | NotFound | Conflict | Internal => {
  switch (error._tag) {
    case "ValidationError":
      return make(400, error.code, error.message, [{ path: error.field, message: error.message }])
    case "EventTypeError":
      return make(400, error.code, error.message, [{ path: "type", message: error.message }])
    case "NotFound":
      return make(404, error.code, error.message)
    case "EndpointLimitExceeded":
      return make(409, error.code, error.message)
    case "InvalidState":
      return make(409, error.code, error.message)
    case "StorageError":
    case "QueueError":
      return make(500, "internal", "The webhook store failed; try again later")
  }
}
