import { defineConfig } from "vitest/config"

// Shared by every package's and example's vitest.config.ts.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fakeTimers: { toFake: undefined }
  }
})
