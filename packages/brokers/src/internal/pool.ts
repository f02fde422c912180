/**
 * Connections pooled per broker: one connection per key (server address, virtual host, credentials' digest), opened
 * on first use and shared by every send to that broker; concurrent first sends share one connect. A connection that
 * fails to open is not kept (the next send tries again, so a broker that is down is retried like a receiver that is
 * down); one that closes later removes itself (`forget`). `closeAll` runs when the transport's scope closes.
 *
 * @internal
 */
import { createHash } from "node:crypto"

export interface Pool<C> {
  /** The connection for `key`, opening it with `open` when there is none. */
  readonly get: (key: string, open: () => Promise<C>) => Promise<C>
  /** Drops `connection` from the pool if it is the one kept for `key` (it closed or failed). */
  readonly forget: (key: string, connection: C) => void
  /** Closes every pooled connection. */
  readonly closeAll: () => Promise<void>
}

export const make = <C>(close: (connection: C) => Promise<void>): Pool<C> => {
  const open = new Map<string, Promise<C>>()
  const settled = new Map<string, C>()
  return {
    get: (key, connect) => {
      const existing = open.get(key)
      if (existing !== undefined) return existing
      const opening = connect().then(
        (connection) => {
          settled.set(key, connection)
          return connection
        },
        (error) => {
          if (open.get(key) === opening) open.delete(key)
          throw error
        }
      )
      open.set(key, opening)
      return opening
    },
    forget: (key, connection) => {
      if (settled.get(key) !== connection) return
      settled.delete(key)
      open.delete(key)
    },
    closeAll: async () => {
      const connections = [...settled.values()]
      open.clear()
      settled.clear()
      await Promise.allSettled(connections.map(close))
    }
  }
}

/** A digest of credentials, so a pool key tells credentials apart without holding them. */
export const digest = (value: string): string => createHash("sha256").update(value).digest("base64url").slice(0, 16)
