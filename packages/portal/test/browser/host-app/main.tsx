/**
 * A host's own React app (the "host-like test app"): its own layout and brand colors, the portal's components
 * themed through the `--hw-*` custom properties, and a widget of its own markup over the headless hooks. The test
 * hands it the API root and a token in the fragment, as a host's backend would hand them to its front end.
 */
import { createRoot } from "react-dom/client"
import {
  EndpointList,
  makePortalClient,
  NavigateContext,
  Portal,
  PortalProvider,
  useDeliveries,
  useEndpoints,
  type View
} from "../../../src/index.js"
import "../../../src/styles/portal.css"
import "./host.css"

const params = new URLSearchParams(location.hash.slice(1))
history.replaceState(null, "", location.pathname)
const client = makePortalClient({ baseUrl: params.get("api")!, token: params.get("token")! })

/** The host's own markup over the hooks: endpoint names and each one's latest delivery status. */
const HealthWidget = () => {
  const endpoints = useEndpoints()
  return (
    <section aria-labelledby="widget-title" className="host-card">
      <h2 id="widget-title">Webhook health</h2>
      {endpoints.data === undefined ? <p>Loading…</p> : (
        <ul>
          {endpoints.data.data.map((e) => <WidgetRow key={e.id} id={e.id} name={e.name ?? e.url} />)}
        </ul>
      )}
    </section>
  )
}

const WidgetRow = (props: { readonly id: string; readonly name: string }) => {
  const deliveries = useDeliveries({ endpointId: props.id, limit: 1, pollMs: 1000 })
  const last = deliveries.data?.data[0]
  return (
    <li data-widget-endpoint={props.id}>
      {props.name}: <span data-last-status>{last === undefined ? "no deliveries" : last.status}</span>
    </li>
  )
}

const App = () => (
  <div className="host">
    <header className="host-header">
      <p className="host-logo">Acme</p>
      <nav aria-label="Dashboard">
        <a href="#billing">Billing</a> <a href="#developers">Developers</a>
      </nav>
    </header>
    <main className="host-main">
      <h1>Developers</h1>
      <PortalProvider client={client}>
        <HealthWidget />
        <section aria-label="Endpoints (embedded list)" className="hw-portal acme-theme" data-theme="light">
          <NavigateContext.Provider value={(view: View) => (document.body.dataset.navigated = view.screen)}>
            <EndpointList canWrite={false} />
          </NavigateContext.Provider>
        </section>
      </PortalProvider>
      <section aria-label="Webhooks portal (embedded)" className="host-card">
        <Portal client={client} theme="light" title="Acme webhooks" className="acme-theme" />
      </section>
    </main>
  </div>
)

createRoot(document.getElementById("root")!).render(<App />)
