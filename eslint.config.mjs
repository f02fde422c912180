import effect from "@effect/eslint-plugin"
import tseslint from "typescript-eslint"

// The receiver packages must never need Effect (DESIGN.md §2): enforced here and by a test.
const noEffect = {
  patterns: [
    { group: ["effect", "effect/*", "@effect/*"], message: "Receiver packages must not depend on Effect." },
    { group: ["@hookwire/core", "@hookwire/core/*", "@hookwire/memory", "@hookwire/postgres", "@hookwire/redis"], message: "Receiver packages depend on @hookwire/verify only." }
  ]
}

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "bench/results/**", "**/*.d.ts", "scripts/readme-blocks/.blocks/**"] },
  {
    files: ["**/*.ts", "**/*.mts", "**/*.tsx"],
    extends: [tseslint.configs.base],
    plugins: { "@effect": effect },
    rules: {
      "no-console": "off",
      "no-debugger": "error",
      "no-restricted-syntax": ["error", {
        selector: "CallExpression[callee.property.name='only'][callee.object.name=/^(it|test|describe)$/]",
        message: "No focused tests."
      }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "off",
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }]
    }
  },
  {
    files: ["packages/verify/**/*.ts", "packages/express/**/*.ts", "packages/fastify/**/*.ts"],
    rules: { "no-restricted-imports": ["error", noEffect] }
  }
)
