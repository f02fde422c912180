/**
 * Keyboard-only use of the standalone portal in Chromium: every step by Tab, Shift+Tab, Enter, Space and Escape
 * — add an endpoint, dismiss the secret, open a dialog and leave it with Escape, delete with the confirmation.
 */
import { type Browser, chromiumService, launch } from "@hookwire/testing/browser"
import { reachable } from "@hookwire/testing/services"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Host, startHost } from "./utils/host.js"

const available = await reachable(chromiumService("the portal's keyboard tests"))

/** Presses Tab until the focused element matches, at most `max` times; fails with what had focus. */
const tabTo = async (page: Page, matches: (el: { tag: string; text: string; label: string }) => boolean, max = 40) => {
  const seen: Array<string> = []
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab")
    const el = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null
      const labelled = a?.id ? document.querySelector(`label[for="${CSS.escape(a.id)}"]`)?.textContent ?? "" : ""
      return { tag: a?.tagName.toLowerCase() ?? "", text: (a?.textContent ?? "").trim(), label: labelled.trim() }
    })
    seen.push(`${el.tag}:${el.text || el.label}`)
    if (matches(el)) return
  }
  throw new Error(`focus never reached the target; it went through ${seen.join(", ")}`)
}

describe.skipIf(!available)("portal by keyboard only", () => {
  let host: Host
  let browser: Browser

  beforeAll(async () => {
    // A host that refuses http: URLs, so one of the URL checks is the API's, not the form's own.
    ;[host, browser] = await Promise.all([startHost({ allowHttp: false }), launch()])
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await host?.close()
  })

  it("adds an endpoint (the API's URL message at the field), reads its secret, escapes a dialog, deletes it", async () => {
    const page = await browser.page()
    await page.goto(host.portalUrl(await host.token("kb", "manage")))
    await page.getByText("No endpoints yet.").waitFor()

    await tabTo(page, (el) => el.text === "Add endpoint")
    await page.keyboard.press("Enter")
    await page.getByRole("heading", { name: "Add endpoint", level: 1 }).waitFor()
    // Focus moved to the new screen's heading: the next Tab lands in the form, not at the top of the page.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("H1")
    await tabTo(page, (el) => el.label === "Name", 2)
    await page.keyboard.type("Keyboard")
    await tabTo(page, (el) => el.label === "URL", 2)
    await page.keyboard.type("http://kb.example.com/hooks")
    await page.keyboard.press("Enter")
    // The engine's message, from the API's problem document, at the field.
    const message = "url must use https:; http: is accepted only when the engine allows http (allowHttp)"
    await page.getByText(message).waitFor()
    expect(await page.getByLabel("URL", { exact: true }).getAttribute("aria-describedby")).toContain(
      await page.getByText(message).getAttribute("id")
    )
    await page.keyboard.press("Control+A")
    await page.keyboard.type("https://kb.example.com/hooks")
    // A radio group is one Tab stop; the arrow keys choose within it.
    await tabTo(page, (el) => el.label.startsWith("Every event"), 3)
    await page.keyboard.press("ArrowDown")
    expect(await page.getByLabel("Only the events I choose").isChecked()).toBe(true)
    await tabTo(page, (el) => el.label.startsWith("invoice.*"), 3)
    await page.keyboard.press("Space")
    await tabTo(page, (el) => el.text === "Create endpoint", 10)
    await page.keyboard.press("Enter")

    await page.getByText("you will not see it again").waitFor()
    await tabTo(page, (el) => el.text.startsWith("I have stored it"), 10)
    await page.keyboard.press("Enter")
    await page.getByRole("heading", { name: "Keyboard", level: 1 }).waitFor()

    await tabTo(page, (el) => el.text === "Rotate secret")
    await page.keyboard.press("Enter")
    const dialog = page.getByRole("dialog")
    await dialog.waitFor()
    expect(await page.evaluate(() => document.activeElement?.closest("dialog") !== null)).toBe(true)
    await page.keyboard.press("Escape")
    await dialog.waitFor({ state: "hidden" })
    const id = (await page.locator("dl.hw-facts code").first().textContent())!
    expect((await host.hookwire.endpoints.get({ tenant: "kb", id })).eventTypes).toEqual(["invoice.*"])

    await tabTo(page, (el) => el.text === "Delete")
    await page.keyboard.press("Enter")
    await tabTo(page, (el) => el.text === "Delete endpoint", 6)
    await page.keyboard.press("Enter")
    await page.getByText("No endpoints yet.").waitFor()
    await expect(host.hookwire.endpoints.get({ tenant: "kb", id })).rejects.toMatchObject({
      code: "endpoint_not_found"
    })
    expect(browser.errors).toEqual([])
  })
})
