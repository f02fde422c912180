import { defineProject, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

export default mergeConfig(
  shared,
  defineProject({
    // The browser tests load the standalone build: make it (only when the sources changed) before any test runs.
    test: { globalSetup: ["./test/utils/globalSetup.ts"] },
    esbuild: { jsx: "automatic" }
  })
)
