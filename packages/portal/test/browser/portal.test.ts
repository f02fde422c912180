/**
 * The portal end to end in Chromium, on the real management API: a host runs the engine (memory adapter), mounts the
 * API with the portal and mints tokens; a customer opens the portal link and manages an endpoint that points at a
 * local receiver. Every screen is checked with axe-core and photographed, light and dark.
 */
import { type Browser, chromiumService, launch } from "@hookwire/testing/browser"
import { reachable, waitFor } from "@hookwire/testing/services"
import { verify } from "@hookwire/verify"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { capture } from "./utils/capture.js"
import { type Host, startHost } from "./utils/host.js"
import { FAILURE_BODY, type Receiver, startReceiver } from "./utils/receiver.js"

const available = await reachable(chromiumService("the portal's browser tests"))

describe.skipIf(!available)("portal in Chromium", () => {
  let host: Host
  let browser: Browser
  let receiver: Receiver
  let page: Page
  let endpointId = ""
  let secret = ""

  beforeAll(async () => {
    ;[host, browser, receiver] = await Promise.all([startHost(), launch(), startReceiver()])
    page = await browser.page()
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await host?.close()
    await receiver?.close()
  })

  const rows = () => page.locator("tr[data-delivery]")
  const publish = (data: { invoiceId: string; amount: number }) =>
    host.hookwire.publish({ tenant: "acme", type: "invoice.paid", data })

  it("opens with a token from the fragment, then forgets it (address bar, history)", async () => {
    const token = await host.token("acme", "manage")
    const leaks: Array<string> = []
    page.on("request", (request) => {
      const referer = request.headers()["referer"] ?? ""
      if (request.url().includes(token) || referer.includes(token)) leaks.push(`${request.method()} ${request.url()}`)
    })
    await page.goto(host.portalUrl(token))
    await page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor()
    await page.getByText("No endpoints yet.").waitFor()
    expect(page.url()).not.toContain(token)
    expect(page.url()).not.toContain("token=")
    // about:blank, then the portal: replaceState left no entry of its own (pushState would make it 3).
    expect(await page.evaluate(() => history.length)).toBe(2)
    // Neither the page, its assets nor its API calls carried the token in a URL or a Referer.
    expect(leaks).toEqual([])
    await capture(page, "endpoints-empty")
  })

  it("creates an endpoint: the engine's URL message at the field, events from the catalog, the secret once", async () => {
    await page.getByRole("button", { name: "Add endpoint" }).click()
    await page.getByLabel("URL", { exact: true }).fill("ftp://example.com/hook")
    await page.getByRole("button", { name: "Create endpoint" }).click()
    await page.getByText("url must use https: (got ftp:)").waitFor()
    expect(await page.getByLabel("URL", { exact: true }).getAttribute("aria-invalid")).toBe("true")

    await page.getByLabel("Name", { exact: true }).fill("Billing")
    await page.getByLabel("URL", { exact: true }).fill(receiver.url)
    await page.getByLabel("Only the events I choose").check()
    await page.getByText("An invoice was paid in full").waitFor()
    await page.getByRole("checkbox", { name: /^invoice\.\*/ }).check()
    await capture(page, "create")
    await page.getByRole("button", { name: "Create endpoint" }).click()

    await page.getByText("you will not see it again").waitFor()
    secret = (await page.getByLabel("Signing secret").textContent())!.trim()
    expect(secret).toMatch(/^whsec_/)
    await page.getByRole("button", { name: "Copy secret" }).click()
    await page.getByText("Copied.").waitFor()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret)
    await capture(page, "secret")

    await page.getByRole("button", { name: /open the endpoint/ }).click()
    await page.getByRole("heading", { name: "Billing", level: 1 }).waitFor()
    endpointId = (await page.locator("dl.hw-facts code").first().textContent())!
    expect(endpointId).toMatch(/^ep_/)
    const stored = await host.hookwire.endpoints.get({ tenant: "acme", id: endpointId })
    expect(stored.eventTypes).toEqual(["invoice.*"])
    expect(await page.getByText(secret).count()).toBe(0) // the secret is gone once dismissed
  })

  it("shows a published delivery without reloading, signed with the secret it showed", async () => {
    await publish({ invoiceId: "in_1", amount: 4200 })
    await page.locator("tr[data-status=delivered]").first().waitFor()
    expect(await rows().count()).toBe(1)
    const request = receiver.received.at(-1)!
    expect(() => verify(request.body, request.headers, { secret })).not.toThrow()
    expect(JSON.parse(request.body).data).toEqual({ invoiceId: "in_1", amount: 4200 })
    await capture(page, "endpoint")
  })

  it("shows a failure with the receiver's response body; retry after the fix delivers it", async () => {
    receiver.failing = true
    await publish({ invoiceId: "in_2", amount: 10 })
    const failed = page.locator("tr[data-status=failed]").first()
    await failed.waitFor()
    await failed.getByRole("button", { name: /^Delivery dlv_/ }).click()
    await page.getByRole("heading", { name: /^Delivery dlv_/, level: 1 }).waitFor()
    await page.getByText("HTTP 500").first().waitFor()
    const body = await page.getByLabel("Response body of attempt 1").textContent()
    expect(JSON.parse(body!)).toEqual(JSON.parse(FAILURE_BODY))
    await page.getByText("\"invoiceId\": \"in_2\"").waitFor() // the request body
    await capture(page, "delivery-failed")

    receiver.failing = false
    await page.getByRole("button", { name: "Retry delivery" }).click()
    await page.locator(".hw-titlebar .hw-badge-success", { hasText: "delivered" }).waitFor()
    await page.getByText("HTTP 204").first().waitFor()
    await capture(page, "delivery")
    await page.getByRole("button", { name: "Back to the endpoint" }).click()
    await page.getByRole("heading", { name: "Billing", level: 1 }).waitFor()
  })

  it("filters the history by status, sends a test event and recovers failures since a time", async () => {
    await page.getByLabel("Status", { exact: true }).selectOption("failed")
    await page.getByText("No deliveries with status failed.").waitFor()
    await page.getByLabel("Status", { exact: true }).selectOption("")
    await waitFor("two deliveries listed", async () => (await rows().count()) === 2, 10_000)

    await page.getByRole("button", { name: "Send test event" }).click()
    await page.getByRole("dialog").getByLabel("Event type").selectOption("invoice.paid")
    await capture(page, "dialog-test-event")
    await page.getByRole("dialog").getByRole("button", { name: "Send test event" }).click()
    await page.getByText(/Sent a invoice.paid example as delivery dlv_/).waitFor()
    await page.getByRole("dialog").getByRole("button", { name: "Close" }).click()
    await waitFor("the test delivery listed", async () => (await rows().count()) === 3, 10_000)

    receiver.failing = true
    await publish({ invoiceId: "in_3", amount: 1 })
    await page.locator("tr[data-status=failed]").first().waitFor()
    receiver.failing = false
    await page.getByRole("button", { name: "Recover failed" }).click()
    await capture(page, "dialog-recover")
    await page.getByRole("dialog").getByRole("button", { name: "Recover" }).click()
    await page.getByText("1 failed delivery is being sent again.").waitFor()
    await page.getByRole("dialog").getByRole("button", { name: "Close" }).click()
    await waitFor(
      "no failed delivery left",
      async () => (await page.locator("tr[data-status=failed]").count()) === 0,
      15_000
    )
  })

  it("edits the endpoint's name, URL and events", async () => {
    await page.getByRole("button", { name: "Edit", exact: true }).click()
    await page.getByRole("heading", { name: "Edit endpoint", level: 1 }).waitFor()
    expect(await page.getByLabel("URL", { exact: true }).inputValue()).toBe(receiver.url)
    await page.getByLabel("Name", { exact: true }).fill("Billing (EU)")
    await page.getByRole("checkbox", { name: /^customer\.created/ }).check()
    await capture(page, "edit")
    await page.getByRole("button", { name: "Save changes" }).click()
    await page.getByRole("heading", { name: "Billing (EU)", level: 1 }).waitFor()
    const stored = await host.hookwire.endpoints.get({ tenant: "acme", id: endpointId })
    expect(stored.name).toBe("Billing (EU)")
    expect([...stored.eventTypes].sort()).toEqual(["customer.created", "invoice.*"])
  })

  it("rotates the secret (shown once), disables with a reason, enables, deletes after confirming", async () => {
    await page.getByRole("button", { name: "Rotate secret" }).click()
    await page.getByRole("dialog").getByRole("button", { name: "Rotate secret" }).click()
    await page.getByRole("dialog").getByText("you will not see it again").waitFor()
    const rotated = (await page.getByRole("dialog").getByLabel("Signing secret").textContent())!.trim()
    expect(rotated).toMatch(/^whsec_/)
    expect(rotated).not.toBe(secret)
    await capture(page, "dialog-rotated-secret")
    await page.getByRole("dialog").getByRole("button", { name: "I have stored it" }).click()
    await publish({ invoiceId: "in_4", amount: 5 })
    await waitFor("the receiver got in_4", () => receiver.received.some((r) => r.body.includes("in_4")), 10_000)
    const last = receiver.received.find((r) => r.body.includes("in_4"))!
    expect(() => verify(last.body, last.headers, { secret: rotated })).not.toThrow()

    await page.getByRole("button", { name: "Disable" }).click()
    await page.getByRole("dialog").getByLabel("Reason").fill("moving servers")
    await capture(page, "dialog-disable")
    await page.getByRole("dialog").getByRole("button", { name: "Disable endpoint" }).click()
    await page.getByText("Disabled: moving servers").first().waitFor()
    expect((await host.hookwire.endpoints.get({ tenant: "acme", id: endpointId })).disabled).toBe(true)
    await page.getByRole("button", { name: "Enable" }).click()
    await page.locator(".hw-titlebar").getByText("Enabled").waitFor()

    await page.getByRole("button", { name: "Delete" }).click()
    await capture(page, "dialog-delete")
    await page.getByRole("dialog").getByRole("button", { name: "Delete endpoint" }).click()
    await page.getByText("No endpoints yet.").waitFor()
    await expect(host.hookwire.endpoints.get({ tenant: "acme", id: endpointId })).rejects.toMatchObject({
      code: "endpoint_not_found"
    })
  })

  it("shows the event catalog with descriptions, JSON Schemas and examples", async () => {
    await page.getByRole("button", { name: "Event catalog" }).click()
    await page.getByRole("heading", { name: "invoice.paid" }).waitFor()
    await page.getByText("An invoice was paid in full").waitFor()
    await page.getByText("JSON Schema").first().click()
    await page.getByLabel("JSON Schema of invoice.paid").waitFor()
    expect(await page.getByLabel("Example of invoice.paid").textContent()).toContain("invoiceId")
    await capture(page, "catalog")
  })

  it("gives a read-scope token no buttons that change anything, and the API refuses its writes", async () => {
    const created = await host.hookwire.endpoints.create({ tenant: "acme", url: receiver.url, name: "Read me" })
    receiver.failing = true
    await publish({ invoiceId: "in_5", amount: 1 })
    await waitFor(
      "a failed delivery",
      async () =>
        (await host.hookwire.deliveries.list({ tenant: "acme", endpointId: created.id, status: "failed" })).items
          .length ===
          1,
      15_000
    )
    receiver.failing = false

    const token = await host.token("acme", "read")
    const reader = await browser.page()
    await reader.goto(host.portalUrl(token))
    await reader.getByText("read only").waitFor()
    await reader.getByRole("button", { name: "Read me" }).click()
    await reader.getByRole("heading", { name: "Read me", level: 1 }).waitFor()
    await reader.locator("tr[data-status=failed]").first().waitFor()
    for (const name of ["Add endpoint", "Edit", "Delete", "Disable", "Rotate secret", "Send test event", "Retry"]) {
      expect(await reader.getByRole("button", { name, exact: true }).count(), name).toBe(0)
    }
    await capture(reader, "endpoint-read-only")
    await reader.close()

    for (
      const [method, path] of [["POST", "endpoints"], ["DELETE", `endpoints/${created.id}`], [
        "POST",
        `endpoints/${created.id}/rotate-secret`
      ]]
    ) {
      const response = await fetch(host.apiUrl(path!), {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: method === "POST" ? JSON.stringify(path === "endpoints" ? { url: receiver.url } : {}) : null
      })
      expect(response.status, `${method} ${path}`).toBe(403)
    }
    expect((await host.hookwire.endpoints.get({ tenant: "acme", id: created.id })).name).toBe("Read me")
  })

  it("never reaches another tenant's endpoints or deliveries", async () => {
    const theirs = await host.hookwire.endpoints.create({ tenant: "globex", url: receiver.url, name: "Globex secret" })
    const token = await host.token("acme", "manage")
    for (const path of [`endpoints/${theirs.id}`, `endpoints/${theirs.id}/stats`]) {
      const response = await fetch(host.apiUrl(path), { headers: { authorization: `Bearer ${token}` } })
      expect(response.status, path).toBe(404)
    }
    const deleted = await fetch(host.apiUrl(`endpoints/${theirs.id}`), {
      method: "DELETE",
      headers: { authorization: `Bearer ${token}` }
    })
    expect(deleted.status).toBe(404)
    const other = await browser.page()
    await other.goto(host.portalUrl(token))
    await other.getByRole("button", { name: "Read me" }).waitFor()
    expect(await other.getByText("Globex secret").count()).toBe(0)
    await other.close()
    expect(browser.errors).toEqual([])
  })
})
