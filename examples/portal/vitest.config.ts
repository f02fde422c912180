import { defineProject, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

// The demo serves the portal's standalone build: make it first (only when its sources changed).
export default mergeConfig(shared, defineProject({ test: { globalSetup: ["./test/globalSetup.ts"] } }))
