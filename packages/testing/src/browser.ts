/**
 * A real browser for the portal's tests: Debian's Chromium (`/usr/bin/chromium`, `apt-get install -y chromium`)
 * driven by playwright-core, with the flags this machine kind needs (no sandbox as root, no background networking to
 * the closed network) and a fresh profile per launch. Also: axe-core checks and screenshots under an ignored folder.
 */
import { AxeBuilder } from "@axe-core/playwright"
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import { type Service } from "./services.js"

export const CHROMIUM = process.env.HOOKWIRE_TEST_CHROMIUM ?? "/usr/bin/chromium"

/** Chromium as a `Service` for `reachable` (skipped loudly without it, a failure under HOOKWIRE_REQUIRE_SERVICES=1). */
export const chromiumService = (skipping: string): Service => ({
  name: "Chromium",
  url: CHROMIUM,
  probe: async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} does not exist`)
  },
  start: "apt-get update && apt-get install -y chromium",
  env: "HOOKWIRE_TEST_CHROMIUM",
  skipping
})

/** STYLE.md §7: without the background-networking flags its connections to the closed network fail many at a time. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

export interface Browser {
  readonly context: BrowserContext
  /** A new tab, light or dark, with console errors collected into `errors`. */
  readonly page: (options?: { readonly colorScheme?: "light" | "dark" }) => Promise<Page>
  /** Uncaught page errors seen by any tab. */
  readonly errors: Array<string>
  readonly close: () => Promise<void>
}

/** Launches Chromium with a fresh `--user-data-dir` (removed on close). */
export const launch = async (): Promise<Browser> => {
  const profile = mkdtempSync(join(tmpdir(), "hookwire-chromium-"))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1200, height: 860 },
    permissions: ["clipboard-read", "clipboard-write"],
    timeout: 60_000
  })
  context.setDefaultTimeout(15_000)
  const errors: Array<string> = []
  return {
    context,
    errors,
    page: async (options = {}) => {
      const page = await context.newPage()
      page.on("pageerror", (error) => errors.push(error.message))
      await page.emulateMedia({ colorScheme: options.colorScheme ?? "light" })
      return page
    },
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}

/** Serious and critical axe-core violations on the page as it is now (empty = pass), with what failed where. */
export const seriousViolations = async (page: Page): Promise<Array<string>> => {
  const result = await new AxeBuilder({ page }).analyze()
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`)
}

/** Saves a full-page screenshot as `<dir>/<name>.png`; returns its path. */
export const screenshot = async (page: Page, dir: string, name: string): Promise<string> => {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}
