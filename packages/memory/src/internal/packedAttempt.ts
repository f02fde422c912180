/**
 * An attempt as the memory Storage keeps it. The attempt log holds one record per attempt for as long as its message
 * is kept, so its size is the store's size: the dispatcher's record (16 properties, one of them out of the object,
 * ≈ 184 bytes) and its request headers (a new 3-property object per attempt, ≈ 56 bytes) are kept as a `PackedAttempt`
 * (≈ 128 bytes): its tenant and message, delivery and endpoint ids read from its delivery (which is kept as long as
 * its attempts are), its request headers as the endpoint's shared template (`headers.ts`). Reads get the record back
 * (`recordOf`), equal to the one recorded; a record that does not fit the packed form (ids not its delivery's, or
 * written without the header fields) is kept as it is.
 *
 * @internal
 */
import type { AttemptRecord, AttemptTrigger, TransportErrorKind } from "@hookwire/core/Model"
import type { RequestTemplate, RequestTemplates } from "./headers.js"

/** An attempt as kept: packed, or the record itself. @internal */
export type KeptAttempt = PackedAttempt | AttemptRecord

/** What a packed attempt reads its ids from: the delivery as the store keeps it. */
interface Owner {
  readonly id: string
  readonly tenant: string
  readonly messageId: string
  readonly endpointId: string
}

/** @internal */
export class PackedAttempt {
  constructor(
    readonly id: string,
    private readonly owner: Owner,
    readonly attempt: number,
    readonly trigger: AttemptTrigger,
    readonly url: string,
    readonly startedAt: number,
    readonly durationMs: number,
    readonly responseStatus: number | null,
    /** Emptied by an erasure (`expungeMessage`): packed attempts are never handed out, so it changes in place. */
    public responseBody: string | null,
    readonly errorKind: TransportErrorKind | null,
    readonly errorMessage: string | null,
    private readonly request: RequestTemplate | null,
    private readonly responseHeaders: Readonly<Record<string, string>> | null
  ) {}

  get tenant(): string {
    return this.owner.tenant
  }
  get deliveryId(): string {
    return this.owner.id
  }
  get messageId(): string {
    return this.owner.messageId
  }
  get endpointId(): string {
    return this.owner.endpointId
  }

  /** The record, as `record` in core's `internal/attempt.ts` builds it (same properties, same order). */
  toRecord(): AttemptRecord {
    const { messageId, deliveryId } = this
    return {
      id: this.id,
      tenant: this.tenant,
      deliveryId,
      messageId,
      endpointId: this.endpointId,
      attempt: this.attempt,
      trigger: this.trigger,
      url: this.url,
      startedAt: this.startedAt,
      durationMs: this.durationMs,
      responseStatus: this.responseStatus,
      responseBody: this.responseBody,
      errorKind: this.errorKind,
      errorMessage: this.errorMessage,
      requestHeaders: this.request === null ? null : this.request.headersOf(messageId, deliveryId),
      responseHeaders: this.responseHeaders
    }
  }
}

/** The record a kept attempt stands for. @internal */
export const recordOf = (kept: KeptAttempt): AttemptRecord => kept instanceof PackedAttempt ? kept.toRecord() : kept

/**
 * `attempt` as kept, for a delivery whose state is `owner`: packed when it fits (see the module's comment), with
 * `responseHeaders` already shared by the caller.
 */
export const pack = (
  attempt: AttemptRecord,
  owner: Owner,
  responseHeaders: Readonly<Record<string, string>> | null | undefined,
  templates: RequestTemplates
): KeptAttempt => {
  const requestHeaders = attempt.requestHeaders
  if (
    attempt.deliveryId !== owner.id || attempt.tenant !== owner.tenant ||
    attempt.messageId !== owner.messageId || attempt.endpointId !== owner.endpointId ||
    requestHeaders === undefined || responseHeaders === undefined
  ) {
    return responseHeaders === attempt.responseHeaders ? attempt : { ...attempt, responseHeaders }
  }
  return new PackedAttempt(
    attempt.id,
    owner,
    attempt.attempt,
    attempt.trigger,
    attempt.url,
    attempt.startedAt,
    attempt.durationMs,
    attempt.responseStatus,
    attempt.responseBody,
    attempt.errorKind,
    attempt.errorMessage,
    requestHeaders === null
      ? null
      : templates.templateOf(owner.endpointId, requestHeaders, owner.messageId, owner.id),
    responseHeaders
  )
}

/** `kept` with its response body erased (a packed attempt in place). @internal */
export const withoutResponseBody = (kept: KeptAttempt): KeptAttempt => {
  if (kept instanceof PackedAttempt) {
    kept.responseBody = null
    return kept
  }
  return { ...kept, responseBody: null }
}
