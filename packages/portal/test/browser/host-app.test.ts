/**
 * The React components in a host's own app (built from test/browser/host-app with Vite): the host's layout and
 * brand theme through the `--hw-*` custom properties, the embedded components and a widget of its own markup over
 * the headless hooks, on the real API.
 */
import { type Browser, chromiumService, launch } from "@hookwire/testing/browser"
import { reachable } from "@hookwire/testing/services"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { capture } from "./utils/capture.js"
import { type Host, startHost } from "./utils/host.js"

const available = await reachable(chromiumService("the portal's host-app tests"))

describe.skipIf(!available)("portal components in a host app", () => {
  let host: Host
  let browser: Browser

  beforeAll(async () => {
    ;[host, browser] = await Promise.all([startHost({ hostApp: true }), launch()])
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await host?.close()
  })

  it("renders the embedded portal and hooks in the host's theme, live", async () => {
    const endpoint = await host.hookwire.endpoints.create({
      tenant: "acme",
      url: "https://acme.example/hooks",
      name: "Ledger"
    })
    const page = await browser.page()
    await page.goto(host.hostAppUrl(await host.token("acme", "manage")))
    expect(page.url()).not.toContain("token")

    const widget = page.locator(`[data-widget-endpoint="${endpoint.id}"]`)
    await widget.getByText("no deliveries").waitFor()
    await host.hookwire.publish({ tenant: "acme", type: "invoice.paid", data: { invoiceId: "in_9", amount: 9 } })
    await widget.locator("[data-last-status]").filter({ hasText: /pending|failed|delivered/ }).waitFor()

    const embedded = page.getByRole("region", { name: "Webhooks portal (embedded)" })
    await embedded.getByText("Acme webhooks").waitFor()
    await embedded.getByRole("button", { name: "Ledger" }).waitFor()
    const style = await embedded.locator(".hw-portal").evaluate((el) => {
      const s = getComputedStyle(el)
      const button = el.querySelector(".hw-button-primary")!
      return {
        font: s.fontFamily,
        accent: s.getPropertyValue("--hw-color-accent").trim(),
        buttonBackground: getComputedStyle(button).backgroundColor,
        radius: getComputedStyle(button).borderRadius
      }
    })
    expect(style).toEqual({
      font: `Georgia, "Times New Roman", serif`,
      accent: "#0b6e4f",
      buttonBackground: "rgb(11, 110, 79)",
      radius: "0px"
    })

    // The list component on its own, with the host's navigation callback.
    const list = page.getByRole("region", { name: "Endpoints (embedded list)" })
    await list.getByRole("button", { name: "Ledger" }).click()
    expect(await page.evaluate(() => document.body.dataset.navigated)).toBe("endpoint")
    await capture(page, "host-app")
    expect(browser.errors).toEqual([])
  })
})
