/**
 * The standalone page: opened as `{mount}/portal/#token=...`. Takes the token out of the fragment at once (and out
 * of the address bar and history), keeps it in memory only, and talks to the mount root with it as a Bearer header.
 */
import { StrictMode } from "react"
import { createRoot } from "react-dom/client"
import { makePortalClient } from "../client/PortalClient.js"
import { screenTitle } from "../components/navigation.js"
import { Portal } from "../components/Portal.js"
import { apiBaseFromLocation, takeTokenFromLocation } from "../internal/token.js"
import "../styles/portal.css"
import "./page.css"

const token = takeTokenFromLocation(window.location, window.history)
const root = createRoot(document.getElementById("root")!)
const params = new URLSearchParams(window.location.hash.replace(/^#/, ""))
const theme = params.get("theme")

if (token === null) {
  root.render(
    <div className="hw-portal" data-theme="auto">
      <main className="hw-main">
        <h1>Webhooks portal</h1>
        <p>
          This page needs a sign-in link. Open the webhooks portal from the application that manages your account; its
          link signs you in.
        </p>
      </main>
    </div>
  )
} else {
  const client = makePortalClient({ baseUrl: apiBaseFromLocation(window.location.href), token })
  root.render(
    <StrictMode>
      <Portal
        client={client}
        theme={theme === "dark" || theme === "light" ? theme : "auto"}
        onNavigate={(view) => (document.title = `${screenTitle(view)} · Webhooks`)}
      />
    </StrictMode>
  )
}
