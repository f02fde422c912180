/** The package version, sent in the `user-agent` header. Kept in sync with package.json by a test. */
export const version = "0.0.0"
