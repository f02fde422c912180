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
    await page.goto(demo.links[0]!.manage)
    for (const name of ["Billing service", "CRM sync", "Legacy ERP"]) {
      await page.getByRole("button", { name }).waitFor()
    }
    expect(await page.getByText("Data warehouse").count()).toBe(0)
    await page.getByRole("button", { name: "Legacy ERP" }).click()
    await page.getByRole("heading", { name: "Legacy ERP", level: 1 }).waitFor()
    const rows = page.locator("tr[data-delivery]")
    await rows.first().waitFor()
    const before = await rows.count()
    const published = demo.published()
    await waitFor("more deliveries listed without a reload", async () => (await rows.count()) > before, 20_000)
    expect(demo.published()).toBeGreaterThan(published)
    await page.getByText("HTTP 500").first().waitFor()
    await page.getByRole("button", { name: "All endpoints" }).click()
    await page.getByText(/^Failing \(\d+ in a row\)$/).first().waitFor()
    await screenshot(page, SCREENSHOTS, "demo-acme")
    expect(browser.errors).toEqual([])
  })

  it("gives globex's read-only link its own endpoints and no write buttons", async () => {
    const page = await browser.page()
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
  })
})
