/**
 * The shape checks every public Webhooks operation makes before it runs, for both faces (the Effect service and the
 * Promise API built on it): any input gets a typed error, never a `TypeError` or a defect. An input must be an object
 * (`null`, a number or a string is a `ValidationError` with field `input`); it is read once, into a plain copy, so a
 * property getter that throws is a `ValidationError` naming that property and is never called twice; the ids it names
 * are non-empty strings without control characters or lone surrogates (`invalid_id`). The operations' own checks
 * (tenant, url, headers, …) then run on the copy.
 */
import * as Effect from "effect/Effect"
import { EventTypeError, ValidationError } from "../../Errors.js"
import type { Webhooks } from "../../Webhooks.js"
import * as validate from "../validate.js"

type Service = Webhooks["Type"]
type Input = Record<string, unknown>
type Problem = ValidationError | undefined

/** A plain copy of `value`'s own enumerable properties, each read once; a typed error for a non-object or a throw. */
export const snapshot = (value: unknown, field: string, optional = false): Input | undefined | ValidationError => {
  if (value === undefined && optional) return undefined
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return new ValidationError({
      code: "invalid_input",
      field,
      message: `${field} must be an object${optional ? " or omitted" : ""}; got ${validate.describe(value)}`
    })
  }
  const copy: Input = {}
  let keys: Array<string>
  try {
    keys = Object.keys(value)
  } catch {
    return new ValidationError({
      code: "invalid_input",
      field,
      message: `${field} cannot be read (a Proxy that throws)`
    })
  }
  for (const key of keys) {
    try {
      copy[key] = (value as Input)[key]
    } catch {
      return new ValidationError({
        code: "invalid_input",
        field: field === "input" ? key : `${field}.${key}`,
        message: `reading ${
          field === "input" ? key : `${field}.${key}`
        } threw: pass plain values, not getters that throw`
      })
    }
  }
  return copy
}

const isObject = (value: unknown): boolean => typeof value === "object" && value !== null && !Array.isArray(value)

const ids = (input: Input, required: ReadonlyArray<string>, optional: ReadonlyArray<string> = []): Problem => {
  for (const field of required) {
    const checked = validate.checkId(input[field], field)
    if (checked instanceof ValidationError) return checked
  }
  for (const field of optional) {
    const checked = validate.checkId(input[field], field, true)
    if (checked instanceof ValidationError) return checked
  }
  return undefined
}

const STATUSES: ReadonlySet<unknown> = new Set(["pending", "delivered", "failed", "cancelled"])

const deliveryFilters = (input: Input): Problem =>
  ids(input, [], ["endpointId", "messageId"]) ??
    (input.status === undefined || STATUSES.has(input.status)
      ? undefined
      : new ValidationError({
        code: "invalid_option",
        field: "status",
        message: "status must be one of pending, delivered, failed, cancelled"
      }))

const typeFilter = (input: Input): Problem =>
  input.type === undefined || (typeof input.type === "string" && /^[A-Za-z0-9_.*-]{1,128}$/.test(input.type))
    ? undefined
    : new ValidationError({
      code: "invalid_option",
      field: "type",
      message: "type must be an event type name (letters, digits, \"_\", \"-\" and dots)"
    })

/** A required event type name (a test send's `type`). */
const typeName = (input: Input): Problem =>
  typeof input.type === "string" ? typeFilter(input) : new ValidationError({
    code: "invalid_option",
    field: "type",
    message: `type must be the name of an event type of the catalog; got ${validate.describe(input.type)}`
  })

const reason = (input: Input): Problem => {
  const value = input.reason
  if (value === undefined || value === null) return undefined
  const problem = typeof value !== "string" || value.length > validate.LIMITS.reasonLength
    ? `must be a string of at most ${validate.LIMITS.reasonLength} characters`
    : validate.textProblem(value, false)
  return problem === undefined
    ? undefined
    : new ValidationError({ code: "invalid_option", field: "reason", message: `reason ${problem}` })
}

/** A message to publish: its `type`, when not a string, is an unknown event type (described, never stringified). */
const publishInput = (input: Input): EventTypeError | undefined =>
  typeof input.type === "string" ? undefined : new EventTypeError({
    code: "unknown_event_type",
    type: validate.describe(input.type),
    message: `type must be a string naming an event type of the catalog; got ${validate.describe(input.type)}`
  })

const guarded = <I, A, E, P extends ValidationError | EventTypeError = ValidationError>(
  op: (input: I) => Effect.Effect<A, E>,
  check: (input: Input) => P | undefined
) =>
(input: I): Effect.Effect<A, E | ValidationError | P> =>
  Effect.suspend((): Effect.Effect<A, E | ValidationError | P> => {
    const copy = snapshot(input, "input")
    if (copy instanceof ValidationError) return Effect.fail(copy)
    const problem = check(copy!)
    return problem === undefined ? op(copy as I) : Effect.fail(problem)
  })

const withId = (input: Input) => ids(input, ["id"])
const anyShape = (_: Input): Problem => undefined

/**
 * `service` with every operation's input checked first. Operations it does not know pass through unchanged.
 */
export const service = (s: Service): Service => ({
  ...s,
  endpoints: {
    ...s.endpoints,
    create: guarded(s.endpoints.create, anyShape),
    get: guarded(s.endpoints.get, withId),
    list: guarded(s.endpoints.list, anyShape),
    update: guarded(s.endpoints.update, withId),
    delete: guarded(s.endpoints.delete, withId),
    enable: guarded(s.endpoints.enable, withId),
    disable: guarded(s.endpoints.disable, (input) => withId(input) ?? reason(input)),
    rotateSecret: guarded(s.endpoints.rotateSecret, withId),
    test: guarded(s.endpoints.test, (input) => withId(input) ?? typeName(input)),
    stats: guarded(s.endpoints.stats, withId),
    testFilter: guarded(s.endpoints.testFilter, anyShape)
  },
  // A message that is not an object is the operation's own error (field "message"): only objects are copied here.
  publish: (input) => isObject(input) ? guarded(s.publish, publishInput)(input) : s.publish(input),
  publishMany: (inputs) =>
    Effect.suspend((): ReturnType<Service["publishMany"]> => {
      if (!Array.isArray(inputs)) {
        return Effect.fail(
          new ValidationError({
            code: "invalid_input",
            field: "messages",
            message: `publishMany takes an array of messages; got ${validate.describe(inputs)}`
          })
        )
      }
      const copies: Array<Input> = []
      for (let i = 0; i < inputs.length && i <= 1_000; i++) {
        if (!isObject(inputs[i])) {
          copies.push(inputs[i] as Input)
          continue
        }
        const copy = snapshot(inputs[i], `messages[${i}]`)
        if (copy instanceof ValidationError) return Effect.fail(copy)
        const problem = publishInput(copy!)
        if (problem !== undefined) return Effect.fail(problem)
        copies.push(copy!)
      }
      // Past 1,000 the operation's own limit answers; the copies stand in for the inputs.
      return s.publishMany(inputs.length > 1_000 ? inputs : (copies as unknown as typeof inputs))
    }),
  messages: {
    ...s.messages,
    get: guarded(s.messages.get, withId),
    list: guarded(s.messages.list, typeFilter),
    resend: guarded(s.messages.resend, (input) => ids(input, ["id", "endpointId"]))
  },
  deliveries: {
    ...s.deliveries,
    get: guarded(s.deliveries.get, withId),
    list: guarded(s.deliveries.list, deliveryFilters),
    attempts: guarded(s.deliveries.attempts, (input) => ids(input, [], ["deliveryId", "endpointId", "messageId"])),
    retry: guarded(s.deliveries.retry, withId),
    recover: guarded(s.deliveries.recover, (input) => ids(input, ["endpointId"]))
  },
  maintenance: {
    ...s.maintenance,
    resealSecrets: (options) =>
      Effect.suspend((): ReturnType<Service["maintenance"]["resealSecrets"]> => {
        const copy = snapshot(options, "options", true)
        return copy instanceof ValidationError ? Effect.fail(copy) : s.maintenance.resealSecrets(copy)
      })
  }
})
