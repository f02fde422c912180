/**
 * What the publisher and the worker processes share: the event catalog, the environment a worker reads, and the
 * messages a worker sends its parent over the IPC channel.
 */
import { Catalog } from "@hookwire/core"
import { Schema } from "effect"

/** The events of this example: an order was placed. */
export const catalog = Catalog.make({
  "order.created": {
    description: "A customer placed an order",
    schema: Schema.Struct({ orderId: Schema.String, amount: Schema.Number, currency: Schema.String })
  }
})

/**
 * The environment of a worker process. The database variables are the ones `PgAdapter.layerConfig` reads, so the
 * same worker runs in production with the same settings.
 */
export const env = {
  databaseUrl: "HOOKWIRE_DATABASE_URL",
  schema: "HOOKWIRE_DATABASE_SCHEMA",
  name: "WORKER_NAME",
  concurrency: "WORKER_CONCURRENCY",
  leaseMs: "WORKER_LEASE_MS"
} as const

/** Worker → parent, over the IPC channel `child_process.spawn(..., { stdio: [..., "ipc"] })` opens. */
export type WorkerMessage =
  /** `start()` resolved: the dispatcher is claiming. */
  | { readonly type: "ready"; readonly name: string; readonly pid: number }
  /** Deliveries this process delivered (its `delivery.succeeded` events since the previous report). */
  | { readonly type: "delivered"; readonly name: string; readonly deliveryIds: ReadonlyArray<string> }
  /** `close()` finished after SIGTERM: in-flight work was completed or handed back to the queue. */
  | { readonly type: "stopped"; readonly name: string }
  /** The worker could not start or stop; it exits with status 1. */
  | { readonly type: "error"; readonly name: string; readonly message: string }
