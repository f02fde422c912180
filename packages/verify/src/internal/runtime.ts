/**
 * The engine for this runtime: `#crypto` resolves (package.json "imports") to `node:crypto` on Node, Bun and Deno,
 * and to Web Crypto everywhere else.
 *
 * @internal
 */
import { primitives } from "#crypto"
import { makeEngine } from "./engine.js"

/** @internal */
export const engine = makeEngine(primitives)
