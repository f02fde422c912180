/**
 * An endpoint's page: its settings and health, the last hour / day / week, the actions the session may take, the
 * delivery history (live while open) and how to verify its signatures.
 */
import type { Endpoint, EndpointStats, StatsWindow } from "../client/types.js"
import { useChannels, useEndpoint, useEndpointStats } from "../hooks/hooks.js"
import { relativeTime, successRate } from "../internal/format.js"
import { DeliveryList } from "./DeliveryList.js"
import { EndpointActions } from "./EndpointActions.js"
import { EndpointStatus } from "./EndpointList.js"
import { useNavigate } from "./navigation.js"
import { Button, ErrorNote, Loading } from "./ui.js"
import { VerifySnippets } from "./VerifySnippets.js"

const LIVE_POLL_MS = 2_000

/**
 * @since 0.1.0
 * @category constructors
 */
export const EndpointPage = (props: { readonly id: string; readonly canWrite: boolean }) => {
  const navigate = useNavigate()
  const endpoint = useEndpoint(props.id, { pollMs: LIVE_POLL_MS * 5 })
  const stats = useEndpointStats(props.id, { pollMs: LIVE_POLL_MS * 2 })
  return (
    <section>
      <Button variant="link" onClick={() => navigate({ screen: "endpoints" })}>← All endpoints</Button>
      {endpoint.data === undefined
        ? endpoint.error === undefined
          ? <Loading what="the endpoint" />
          : (
            <>
              <h1 tabIndex={-1}>Endpoint not found</h1>
              <ErrorNote error={endpoint.error} />
            </>
          )
        : (
          <>
            <div className="hw-titlebar">
              <h1 tabIndex={-1}>{endpoint.data.name ?? endpoint.data.id}</h1>
              <EndpointStatus endpoint={endpoint.data} />
            </div>
            <p className="hw-url">{endpoint.data.url}</p>
            {props.canWrite ? <EndpointActions endpoint={endpoint.data} /> : null}
            <EndpointFacts endpoint={endpoint.data} />
            <StatsPanel stats={stats.data} />
            <DeliveryList endpointId={props.id} canWrite={props.canWrite} pollMs={LIVE_POLL_MS} />
            <VerifySnippets endpoint={endpoint.data} />
          </>
        )}
    </section>
  )
}

/** The custom headers sent with each delivery: sensitive ones by name only (their values never reach the portal). */
const EndpointHeaders = (props: { readonly endpoint: Endpoint }) => {
  const plain = Object.entries(props.endpoint.headers)
  const sensitive = Object.keys(props.endpoint.sensitiveHeaders ?? {})
  if (plain.length === 0 && sensitive.length === 0) return null
  return (
    <>
      <dt>Headers</dt>
      <dd>
        <pre className="hw-code">
          {[...plain.map(([name, value]) => `${name}: ${value}`), ...sensitive.map((name) => `${name}: •••• (hidden)`)]
            .join("\n")}
        </pre>
      </dd>
    </>
  )
}

const EndpointFacts = (props: { readonly endpoint: Endpoint }) => {
  const e = props.endpoint
  const channels = useChannels()
  return (
    <dl className="hw-facts">
      <dt>ID</dt>
      <dd>
        <code>{e.id}</code>
      </dd>
      <dt>Events</dt>
      <dd>{e.eventTypes.length === 0 ? "Every event" : e.eventTypes.join(", ")}</dd>
      {channels
        ? (
          <>
            <dt>Channels</dt>
            <dd>{e.channels.length === 0 ? "Every message" : e.channels.join(", ")}</dd>
          </>
        )
        : null}
      {e.description === null ? null : (
        <>
          <dt>Description</dt>
          <dd>{e.description}</dd>
        </>
      )}
      <EndpointHeaders endpoint={e} />
      {e.tls === undefined || e.tls === null ? null : (
        <>
          <dt>Client certificate</dt>
          <dd>
            {e.tls.certificate === null
              ? "none"
              : `${e.tls.certificate.subject.replaceAll("\n", ", ")} (expires ${
                relativeTime(e.tls.certificate.validTo)
              })`}
            {e.tls.customCa ? "; trusts its own CA" : ""}
          </dd>
        </>
      )}
      {e.oauth2 === undefined || e.oauth2 === null ? null : (
        <>
          <dt>OAuth2</dt>
          <dd>
            client <code>{e.oauth2.clientId}</code> at {e.oauth2.tokenUrl}
            {e.oauth2.scopes.length === 0 ? "" : ` (scopes: ${e.oauth2.scopes.join(" ")})`}
          </dd>
        </>
      )}
      {e.proxy === undefined || e.proxy === null ? null : (
        <>
          <dt>Egress proxy</dt>
          <dd>{e.proxy}</dd>
        </>
      )}
      <dt>Created</dt>
      <dd>{relativeTime(e.createdAt)}</dd>
      {e.health.failingSince === null ? null : (
        <>
          <dt>Failing since</dt>
          <dd>
            {relativeTime(e.health.failingSince)} ({e.health.consecutiveFailures}{" "}
            {e.health.consecutiveFailures === 1 ? "attempt" : "attempts in a row"})
          </dd>
        </>
      )}
    </dl>
  )
}

const windowRow = (label: string, w: StatsWindow) => (
  <tr key={label}>
    <th scope="row">{label}</th>
    <td>{w.attempts.total}</td>
    <td>{w.attempts.total === 0 ? "—" : `${Math.round((w.attempts.succeeded / w.attempts.total) * 1000) / 10}%`}</td>
    <td>{w.deliveries.delivered}</td>
    <td>{w.deliveries.failed}</td>
    <td>{w.deliveries.pending}</td>
  </tr>
)

const StatsPanel = (props: { readonly stats: EndpointStats | undefined }) => {
  const { stats } = props
  if (stats === undefined) return null
  const rate = successRate(stats)
  return (
    <section className="hw-panel" aria-labelledby="hw-stats-title">
      <h2 id="hw-stats-title">Activity</h2>
      <p>
        {rate === null ? "No attempts in the last day." : `${rate}% of attempts succeeded in the last day.`}{" "}
        {stats.lastAttempt === null ? "" : `Last attempt ${relativeTime(stats.lastAttempt.at)}.`}
      </p>
      <div className="hw-table-wrap">
        <table className="hw-table hw-compact">
          <caption className="hw-sr-only">Attempts and deliveries by period</caption>
          <thead>
            <tr>
              <th scope="col">Period</th>
              <th scope="col">Attempts</th>
              <th scope="col">Succeeded</th>
              <th scope="col">Delivered</th>
              <th scope="col">Failed</th>
              <th scope="col">Pending</th>
            </tr>
          </thead>
          <tbody>
            {windowRow("Last hour", stats.windows.hour)}
            {windowRow("Last day", stats.windows.day)}
            {windowRow("Last week", stats.windows.week)}
          </tbody>
        </table>
      </div>
    </section>
  )
}
