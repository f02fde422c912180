/**
 * @since 0.3.0
 */

/**
 * @since 0.3.0
 */
export * as AccessToken from "./AccessToken.js"
/**
 * @since 0.3.0
 */
export * as Api from "./Api.js"
/**
 * @since 0.3.0
 */
export * as Problem from "./Problem.js"
/**
 * @since 0.3.0
 */
export * as Server from "./Server.js"
/**
 * @since 0.3.0
 */
export * as Mount from "./Mount.js"
/**
 * @since 0.3.0
 */
export { managementApi } from "./Mount.js"
/**
 * @since 0.3.0
 */
export * as Client from "./Client.js"
