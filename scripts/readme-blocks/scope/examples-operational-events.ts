/** The names examples/operational-events/README.md's fragments take as given. */
export { catalog } from "../../../examples/operational-events/src/main.js"
export * from "./default.js"

export declare const notifierUrl: string
