/**
 * What the host says of itself, as the customer sees it in Chromium: "How to verify" follows the scheme deliveries
 * are actually signed with (the host's default when the endpoint has none, here GitHub-style), and a host without
 * channels shows no channels column, fact or field — while a host with them (the default) shows all three.
 */
import { type Browser, chromiumService, launch } from "@hookwire/testing/browser"
import { reachable } from "@hookwire/testing/services"
import { github } from "@hookwire/verify"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { capture } from "./utils/capture.js"
import { type Host, startHost } from "./utils/host.js"

const available = await reachable(chromiumService("the portal's host-option tests"))

describe.skipIf(!available)("portal on hosts with their own scheme and channel use", () => {
  let githubHost: Host
  let defaultHost: Host
  let browser: Browser

  beforeAll(async () => {
    ;[githubHost, defaultHost, browser] = await Promise.all([
      startHost({ scheme: github, channels: false }),
      startHost(),
      launch()
    ])
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await githubHost?.close()
    await defaultHost?.close()
  })

  it("a GitHub-style host without channels: GitHub headers in the snippets, no channels anywhere", async () => {
    await githubHost.hookwire.endpoints.create({ tenant: "acme", url: "https://example.com/hook", name: "Orders" })
    const page = await browser.page()
    await page.goto(githubHost.portalUrl(await githubHost.token("acme", "manage")))
    await page.getByRole("button", { name: "Orders" }).waitFor()
    expect(await page.getByRole("columnheader", { name: "Events" }).count()).toBe(1)
    expect(await page.getByRole("columnheader", { name: "Channels" }).count()).toBe(0)

    await page.getByRole("button", { name: "Orders" }).click()
    await page.getByRole("heading", { name: "Orders", level: 1 }).waitFor()
    const verify = page.locator("section", { has: page.getByRole("heading", { name: "How to verify" }) })
    await verify.getByText("x-hub-signature-256").first().waitFor()
    expect(await verify.getByText("x-github-delivery").count()).toBeGreaterThan(0)
    expect(await verify.getByText("webhook-signature").count()).toBe(0)
    const node = await page.getByLabel("node verification snippet").textContent()
    expect(node).toContain(`import { verify, github } from "@hookwire/verify"`)
    expect(node).toContain("scheme: github")
    await page.getByRole("button", { name: "Python" }).click()
    expect(await page.getByLabel("python verification snippet").textContent()).toContain(
      `headers["x-hub-signature-256"]`
    )
    expect(await page.locator("dl.hw-facts dt", { hasText: "Channels" }).count()).toBe(0)
    await capture(page, "verify-github-no-channels")

    await page.getByRole("button", { name: "Edit", exact: true }).click()
    await page.getByRole("heading", { name: "Edit endpoint", level: 1 }).waitFor()
    expect(await page.getByLabel("Channels", { exact: true }).count()).toBe(0)
    await page.getByLabel("Name", { exact: true }).fill("Orders (EU)")
    await page.getByRole("button", { name: "Save changes" }).click()
    await page.getByRole("heading", { name: "Orders (EU)", level: 1 }).waitFor()

    await page.getByRole("button", { name: "Endpoints", exact: true }).click()
    await page.getByRole("button", { name: "Add endpoint" }).click()
    await page.getByLabel("URL", { exact: true }).waitFor()
    expect(await page.getByLabel("Channels", { exact: true }).count()).toBe(0)
    expect(browser.errors).toEqual([])
    await page.close()
  })

  it("the default host: Standard Webhooks headers, and channels in the list, the facts and the form", async () => {
    await defaultHost.hookwire.endpoints.create({
      tenant: "acme",
      url: "https://example.com/hook",
      name: "Quotes",
      channels: ["AAPL"]
    })
    const page = await browser.page()
    const configReads: Array<string> = []
    page.on("request", (request) => {
      if (new URL(request.url()).pathname.endsWith("/config")) configReads.push(request.url())
    })
    await page.goto(defaultHost.portalUrl(await defaultHost.token("acme", "manage")))
    await page.getByRole("button", { name: "Quotes" }).waitFor()
    expect(await page.getByRole("columnheader", { name: "Channels" }).count()).toBe(1)
    expect(await page.getByRole("cell", { name: "AAPL" }).count()).toBe(1)

    await page.getByRole("button", { name: "Quotes" }).click()
    await page.getByRole("heading", { name: "Quotes", level: 1 }).waitFor()
    expect(await page.locator("dl.hw-facts dt", { hasText: "Channels" }).count()).toBe(1)
    const verify = page.locator("section", { has: page.getByRole("heading", { name: "How to verify" }) })
    await verify.getByText("webhook-signature").first().waitFor()
    expect(await verify.getByText("x-hub-signature-256").count()).toBe(0)

    await page.getByRole("button", { name: "Edit", exact: true }).click()
    expect(await page.getByLabel("Channels", { exact: true }).inputValue()).toBe("AAPL")
    // The host's config is read once per portal, so a screen mounted later shows channels at once.
    expect(configReads).toHaveLength(1)
    expect(browser.errors).toEqual([])
    await page.close()
  })
})
