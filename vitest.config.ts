import { defineConfig } from "vitest/config"

// `pnpm test` runs every package and example as one vitest project each (and the README blocks checker's test).
export default defineConfig({
  test: {
    projects: ["packages/*", "examples/*", "scripts/readme-blocks"]
  }
})
