/** The names packages/redis/README.md's fragments take as given (and every default one). */
import type { Storage } from "@hookwire/core"
import type { Layer } from "effect"

export * from "./default.js"

/** Where the records live: e.g. `PgStorage.layer()` with its client, as in the README's first example. */
export declare const storage: Layer.Layer<Storage.Storage, unknown>
