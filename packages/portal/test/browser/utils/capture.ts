/**
 * One call per screen: axe-core in light and dark (no serious or critical violation), and a screenshot of each under
 * packages/portal/.screenshots (ignored by git), named `<screen>-light.png` / `<screen>-dark.png`.
 */
import { screenshot, seriousViolations } from "@hookwire/testing/browser"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { Page } from "playwright-core"
import { expect } from "vitest"

export const SCREENSHOTS = fileURLToPath(new URL("../../../.screenshots/", import.meta.url))

/** Checks and photographs the page as it is, in both color schemes (the portal's `auto` theme follows the system). */
export const capture = async (page: Page, screen: string, dir = SCREENSHOTS): Promise<Array<string>> => {
  const paths: Array<string> = []
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    expect(await seriousViolations(page), `axe on ${screen} (${scheme})`).toEqual([])
    paths.push(await screenshot(page, dir, `${screen}-${scheme}`))
  }
  await page.emulateMedia({ colorScheme: "light" })
  return paths.map((p) => join(p))
}
