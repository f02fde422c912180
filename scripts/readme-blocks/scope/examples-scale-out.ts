/** The names examples/scale-out/README.md's fragments take as given: what src/worker.ts reads from its environment. */
export { catalog } from "../../../examples/scale-out/src/protocol.js"
export * from "./default.js"

export declare const schema: string | undefined
export declare const concurrency: number
export declare const leaseMs: number
export declare const report: (deliveryId: string) => void
