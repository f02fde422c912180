/**
 * @since 0.1.0
 */
export * as Errors from "./Errors.js"
export * as Id from "./Id.js"
export * as Model from "./Model.js"
export * as Queue from "./Queue.js"
export * as Storage from "./Storage.js"
export * as Transport from "./Transport.js"
