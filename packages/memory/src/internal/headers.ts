/**
 * Response headers as the memory Storage keeps them in its attempt log. Receivers answer with the same few headers
 * again and again (`connection`, `keep-alive`, a `date` that changes once a second), yet every response parses into
 * a new object of new strings: kept for every attempt, that is ≈ 170 bytes each. An attempt's headers equal to the
 * last ones kept are stored as that same object; others are copied with their values interned (short values only,
 * in a bounded table), so equal values share one string. Stored headers are never changed, so sharing is invisible.
 *
 * @internal
 */

/** Values longer than this are kept as they are (ids, tokens: seldom repeated). */
const maxInterned = 64
/** The interning table is dropped and refilled past this many values. */
const maxValues = 4096

/** @internal */
export class SharedHeaders {
  private last: Readonly<Record<string, string>> | undefined = undefined
  private lastSize = 0
  private readonly values = new Map<string, string>()

  /** `headers` as to be stored: the last stored object when equal to it, otherwise a copy with values interned. */
  share(headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    const last = this.last
    let size = 0
    if (last !== undefined) {
      let same = true
      for (const name in headers) {
        size++
        if (last[name] !== headers[name]) {
          same = false
          break
        }
      }
      if (same && size === this.lastSize) return last
    }
    const copy: Record<string, string> = {}
    size = 0
    for (const name in headers) {
      copy[name] = this.intern(headers[name])
      size++
    }
    this.last = copy
    this.lastSize = size
    return copy
  }

  private intern(value: string): string {
    if (value.length > maxInterned) return value
    const known = this.values.get(value)
    if (known !== undefined) return known
    if (this.values.size >= maxValues) this.values.clear()
    this.values.set(value, value)
    return value
  }
}

/** Where a request header template holds the attempt's message id or delivery id (the scheme's id header). */
const MESSAGE_ID: unique symbol = Symbol("message id")
const DELIVERY_ID: unique symbol = Symbol("delivery id")

/**
 * An attempt's request headers as kept: the same names and values for every attempt to an endpoint (its own headers,
 * content type, user agent) but for the id header, whose value is the message's (or the delivery's) id. A template is
 * kept once per endpoint and shared by its attempts, and `headersOf` rebuilds each attempt's object, in its order.
 *
 * @internal
 */
export class RequestTemplate {
  private constructor(
    private readonly names: ReadonlyArray<string>,
    private readonly values: ReadonlyArray<string | typeof MESSAGE_ID | typeof DELIVERY_ID>
  ) {}

  /** The template of `headers`, whose values equal to the message or delivery id are taken from the attempt. */
  static of(headers: Readonly<Record<string, string>>, messageId: string, deliveryId: string): RequestTemplate {
    const names: Array<string> = []
    const values: Array<string | typeof MESSAGE_ID | typeof DELIVERY_ID> = []
    for (const name in headers) {
      const value = headers[name]
      names.push(name)
      values.push(value === messageId ? MESSAGE_ID : value === deliveryId ? DELIVERY_ID : value)
    }
    return new RequestTemplate(names, values)
  }

  /** Whether this template rebuilds exactly `headers` (names in the same order) for these ids. */
  fits(headers: Readonly<Record<string, string>>, messageId: string, deliveryId: string): boolean {
    const { names, values } = this
    let i = 0
    for (const name in headers) {
      if (i >= names.length || names[i] !== name) return false
      const value = values[i++]
      const expected = value === MESSAGE_ID ? messageId : value === DELIVERY_ID ? deliveryId : value
      if (headers[name] !== expected) return false
    }
    return i === names.length
  }

  /** The headers this template stands for, for an attempt of `messageId` and `deliveryId`. */
  headersOf(messageId: string, deliveryId: string): Record<string, string> {
    const out: Record<string, string> = {}
    const { names, values } = this
    for (let i = 0; i < names.length; i++) {
      const value = values[i]
      out[names[i]] = value === MESSAGE_ID ? messageId : value === DELIVERY_ID ? deliveryId : value
    }
    return out
  }
}

/** Endpoints whose templates are kept at most: the table is dropped and refilled past it. */
const maxTemplates = 4096

/** The request header template of each endpoint's latest attempt. @internal */
export class RequestTemplates {
  private readonly byEndpoint = new Map<string, RequestTemplate>()

  /** The template standing for `headers` of an attempt of this endpoint, message and delivery. */
  templateOf(
    endpointId: string,
    headers: Readonly<Record<string, string>>,
    messageId: string,
    deliveryId: string
  ): RequestTemplate {
    const known = this.byEndpoint.get(endpointId)
    if (known !== undefined && known.fits(headers, messageId, deliveryId)) return known
    const template = RequestTemplate.of(headers, messageId, deliveryId)
    if (known === undefined && this.byEndpoint.size >= maxTemplates) this.byEndpoint.clear()
    this.byEndpoint.set(endpointId, template)
    return template
  }
}
