/**
 * `<Portal>`: every screen of the customer portal in one component, for the standalone page and for hosts that
 * embed it in their React app. The session's scope decides whether write actions are shown at all.
 */
import { type CSSProperties, type ReactNode, useCallback, useEffect, useRef, useState } from "react"
import type { PortalClient } from "../client/PortalClient.js"
import type { Session } from "../client/types.js"
import { PortalProvider, useConfig, useSession } from "../hooks/hooks.js"
import { DeliveryPage } from "./DeliveryPage.js"
import { EndpointForm } from "./EndpointForm.js"
import { EndpointList } from "./EndpointList.js"
import { EndpointPage } from "./EndpointPage.js"
import { EventCatalog } from "./EventCatalog.js"
import { NavigateContext, screenTitle, type View } from "./navigation.js"
import { ErrorNote, Loading } from "./ui.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface PortalProps {
  readonly client: PortalClient
  /** `auto` follows the system's light / dark preference. Default `auto`. */
  readonly theme?: "light" | "dark" | "auto"
  /** Shown at the top; default "Webhooks". */
  readonly title?: string
  /** The first screen; default the endpoints list. */
  readonly initialView?: View
  /** Called on every screen change (the standalone page sets the document title with it). */
  readonly onNavigate?: (view: View) => void
  readonly className?: string
  /** Custom properties (`--hw-color-accent`, …) or any style for the root element. */
  readonly style?: CSSProperties
}

/**
 * The whole portal.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Portal = (props: PortalProps) => (
  <PortalProvider client={props.client}>
    <div
      className={`hw-portal ${props.className ?? ""}`}
      data-theme={props.theme ?? "auto"}
      style={props.style}
    >
      <PortalScreens {...props} />
    </div>
  </PortalProvider>
)

const PortalScreens = (props: PortalProps) => {
  const session = useSession()
  // Read with the session, so that the screens know at once whether the host uses channels.
  const config = useConfig()
  const [view, setView] = useState<View>(props.initialView ?? { screen: "endpoints" })
  const main = useRef<HTMLElement>(null)
  const first = useRef(true)
  const { onNavigate } = props
  const navigate = useCallback((next: View) => {
    setView(next)
    onNavigate?.(next)
  }, [onNavigate])

  // Keyboard and screen-reader users land on the new screen's heading, not at the top of the page.
  useEffect(() => {
    if (first.current) {
      first.current = false
      return
    }
    main.current?.querySelector<HTMLElement>("h1")?.focus()
  }, [view])

  const tab = (target: View, label: string) => {
    const current = target.screen === "catalog" ? view.screen === "catalog" : view.screen !== "catalog"
    return (
      <button
        type="button"
        className="hw-tab"
        aria-current={current ? "page" : undefined}
        onClick={() => navigate(target)}
      >
        {label}
      </button>
    )
  }

  return (
    <NavigateContext.Provider value={navigate}>
      <header className="hw-header">
        <p className="hw-brand">{props.title ?? "Webhooks"}</p>
        <nav aria-label="Portal">
          {tab({ screen: "endpoints" }, "Endpoints")}
          {tab({ screen: "catalog" }, "Event catalog")}
        </nav>
        {session.data === undefined ? null : <SessionNote session={session.data} />}
      </header>
      <main ref={main} className="hw-main" aria-label={screenTitle(view)}>
        {session.error !== undefined
          ? <SessionError error={session.error} />
          : session.data === undefined || (config.data === undefined && config.error === undefined)
          ? <Loading what="your session" />
          : <Screen view={view} canWrite={session.data.scope === "manage"} />}
      </main>
    </NavigateContext.Provider>
  )
}

const SessionNote = (props: { readonly session: Session }) => (
  <p className="hw-session">
    <span className="hw-muted">Account</span> {props.session.tenant}
    {props.session.scope === "read" ? <span className="hw-badge hw-badge-neutral">read only</span> : null}
  </p>
)

const SessionError = (props: { readonly error: Error & { readonly status?: number } }) => (
  <section>
    <h1 tabIndex={-1}>Cannot open the portal</h1>
    <ErrorNote error={props.error} />
    {props.error.status === 401
      ? <p>This link has expired or is not valid. Open the portal again from the application that sent you here.</p>
      : null}
  </section>
)

const Screen = (props: { readonly view: View; readonly canWrite: boolean }): ReactNode => {
  const { view, canWrite } = props
  switch (view.screen) {
    case "endpoints":
      return <EndpointList canWrite={canWrite} />
    case "create":
      return <EndpointForm />
    case "edit":
      return <EndpointForm id={view.id} />
    case "endpoint":
      return <EndpointPage id={view.id} canWrite={canWrite} />
    case "delivery":
      return <DeliveryPage id={view.id} endpointId={view.endpointId} canWrite={canWrite} />
    case "catalog":
      return <EventCatalog />
  }
}
