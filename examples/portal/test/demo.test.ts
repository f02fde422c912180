/**
 * examples/portal in Chromium: the demo's links open each tenant's portal on live traffic — the healthy, flaky and
 * down receivers' endpoints with their states, deliveries appearing while the page is open, only the tenant's own
 * endpoints, and no write buttons behind a read-only link.
 */
import { type Browser, chromiumService, launch, screenshot } from "@hookwire/testing/browser"
import { reachable, waitFor } from "@hookwire/testing/services"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type PortalDemo, startPortalDemo } from "../src/main.js"

const available = await reachable(chromiumService("the portal demo's browser test"))
/**
 * How long any wait of a page may take (an element to show, what live traffic brings): only a failure bound, never
 * waited out by a passing run. On 2 loaded cores (load 18) the page and the demo run many times slower than alone.
 */
const LIVE_WAIT_MS = 60_000
/** A test's own bound: a few such waits in a row. */
const TEST_MS = 3 * LIVE_WAIT_MS
const SCREENSHOTS = fileURLToPath(new URL("../../../packages/portal/.screenshots/", import.meta.url))

describe.skipIf(!available)("examples/portal", () => {
  let demo: PortalDemo
  let browser: Browser

  beforeAll(async () => {
    ;[demo, browser] = await Promise.all([startPortalDemo({ port: 0, trafficIntervalMs: 200 }), launch()])
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await demo?.close()
  })

  it("prints a manage and a read-only link per tenant, with the token in the fragment", () => {
    expect(demo.links.map((l) => l.tenant)).toEqual(["acme", "globex", "initech"])
    for (const link of demo.links) {
      expect(link.manage).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/portal\/#token=hwt_/)
      expect(link.read).not.toBe(link.manage)
    }
  })

  it("shows acme's endpoints and the down receiver's failures arriving live", async () => {
    const page = await browser.page()
    page.setDefaultTimeout(LIVE_WAIT_MS)
    await page.goto(demo.links[0]!.manage)
    for (const name of ["Billing service", "CRM sync", "Legacy ERP"]) {
      await page.getByRole("button", { name }).waitFor()
    }
    expect(await page.getByText("Data warehouse").count()).toBe(0)
    await page.getByRole("button", { name: "Legacy ERP" }).click()
    await page.getByRole("heading", { name: "Legacy ERP", level: 1 }).waitFor()
    const rows = page.locator("tr[data-delivery]")
    await rows.first().waitFor()
    // The list shows the newest page (25 rows): once it is full, a new delivery replaces the oldest row rather than
    // adding one (on a loaded machine the page is full before it first renders). So wait for a delivery not listed
    // before, by id, not for more rows.
    const listed = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-delivery")))
    const before = new Set(await listed())
    const published = demo.published()
    await waitFor(
      "a new delivery listed without a reload",
      async () => (await listed()).some((id) => !before.has(id)),
      LIVE_WAIT_MS
    )
    expect(demo.published()).toBeGreaterThan(published)
    await page.getByText("HTTP 500").first().waitFor()
    await page.getByRole("button", { name: "All endpoints" }).click()
    await page.getByText(/^Failing \(\d+ in a row\)$/).first().waitFor()
    await screenshot(page, SCREENSHOTS, "demo-acme")
    expect(browser.errors).toEqual([])
  }, TEST_MS)

  it("gives globex's read-only link its own endpoints and no write buttons", async () => {
    const page = await browser.page()
    page.setDefaultTimeout(LIVE_WAIT_MS)
    await page.goto(demo.links[1]!.read)
    await page.getByText("read only").waitFor()
    await page.getByRole("button", { name: "Data warehouse" }).waitFor()
    expect(await page.getByText("Billing service").count()).toBe(0)
    expect(await page.getByRole("button", { name: "Add endpoint" }).count()).toBe(0)
    await page.getByRole("button", { name: "Slack relay" }).click()
    await page.getByRole("heading", { name: "Slack relay", level: 1 }).waitFor()
    for (const name of ["Edit", "Delete", "Disable", "Rotate secret", "Send test event", "Retry"]) {
      expect(await page.getByRole("button", { name, exact: true }).count(), name).toBe(0)
    }
  }, TEST_MS)
})
