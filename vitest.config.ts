import { defineConfig } from "vitest/config"

// `pnpm test` runs every package and example as one vitest project each.
export default defineConfig({
  test: {
    projects: ["packages/*", "examples/*"]
  }
})
