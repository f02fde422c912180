/**
 * `Idempotency-Key` on POSTs: the first answer to a (tenant, method, path, key) is kept for a day and replayed to any
 * repeat, which then changes nothing; a repeat with another body is a 409, as is one that arrives while the first
 * is still running. Kept in this process's memory, bounded in entries (oldest dropped first): hosts running several
 * processes behind a balancer should route a client to one process or accept a per-process window.
 *
 * @internal
 */
import type { HttpServerResponse } from "@effect/platform"
import { createHash } from "node:crypto"

/** @internal */
export interface Stored {
  readonly bodyHash: string
  readonly response: HttpServerResponse.HttpServerResponse | undefined
  readonly expiresAt: number
}

/** @internal */
export const hashOf = (body: string): string => createHash("sha256").update(body).digest("base64url")

/** @internal */
export class IdempotencyStore {
  private readonly entries = new Map<string, Stored>()
  constructor(private readonly maxEntries = 10_000, private readonly ttlMs = 24 * 3_600_000) {}

  get(key: string, now: number): Stored | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }

  /** Marks a key as in flight (no response yet). */
  begin(key: string, bodyHash: string, now: number): void {
    this.entries.set(key, { bodyHash, response: undefined, expiresAt: now + this.ttlMs })
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next()
      if (oldest.done === true) break
      this.entries.delete(oldest.value)
    }
  }

  finish(key: string, bodyHash: string, response: HttpServerResponse.HttpServerResponse, now: number): void {
    this.entries.set(key, { bodyHash, response, expiresAt: now + this.ttlMs })
  }

  /** Forgets a key whose request failed in a way worth retrying (a 5xx or a defect). */
  abandon(key: string): void {
    this.entries.delete(key)
  }
}
