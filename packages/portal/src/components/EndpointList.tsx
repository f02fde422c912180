/**
 * The endpoints screen: one row per endpoint with its URL, event filter, channels, status, last day's success rate
 * and last delivery; a page at a time, newest first.
 */
import type { Endpoint } from "../client/types.js"
import { useChannels, useEndpoints, useEndpointStats } from "../hooks/hooks.js"
import { endpointState, relativeTime, successRate } from "../internal/format.js"
import { useNavigate } from "./navigation.js"
import { Badge, Button, ErrorNote, Loading, useCursorPages } from "./ui.js"

const LIST_POLL_MS = 10_000

/**
 * @since 0.1.0
 * @category constructors
 */
export const EndpointList = (props: { readonly canWrite: boolean }) => {
  const navigate = useNavigate()
  const { cursor, pager } = useCursorPages()
  const page = useEndpoints({ ...(cursor === undefined ? {} : { cursor }), pollMs: LIST_POLL_MS })
  const channels = useChannels()
  return (
    <section>
      <div className="hw-titlebar">
        <h1 tabIndex={-1}>Endpoints</h1>
        {props.canWrite
          ? <Button variant="primary" onClick={() => navigate({ screen: "create" })}>Add endpoint</Button>
          : null}
      </div>
      <p className="hw-muted">The URLs that receive your webhooks, and how their deliveries are going.</p>
      <ErrorNote error={page.error} />
      {page.data === undefined
        ? page.error === undefined ? <Loading what="endpoints" /> : null
        : page.data.data.length === 0 && cursor === undefined
        ? (
          <p className="hw-empty">
            No endpoints yet.{props.canWrite ? " Add one to start receiving webhooks." : ""}
          </p>
        )
        : (
          <div className="hw-table-wrap">
            <table className="hw-table">
              <caption className="hw-sr-only">Endpoints</caption>
              <thead>
                <tr>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Events</th>
                  {channels ? <th scope="col">Channels</th> : null}
                  <th scope="col">Status</th>
                  <th scope="col">Success (24 h)</th>
                  <th scope="col">Last delivery</th>
                </tr>
              </thead>
              <tbody>
                {page.data.data.map((endpoint) => (
                  <EndpointRow key={endpoint.id} endpoint={endpoint} channels={channels} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      {pager(page.data?.nextCursor)}
    </section>
  )
}

/** The status badge: enabled, disabled (with reason), circuit open, or failing. */
export const EndpointStatus = (props: { readonly endpoint: Endpoint }) => {
  const { state, label } = endpointState(props.endpoint)
  const tone = state === "enabled"
    ? "success"
    : state === "disabled"
    ? "neutral"
    : state === "failing"
    ? "warning"
    : "danger"
  return <Badge tone={tone}>{label}</Badge>
}

const EndpointRow = (props: { readonly endpoint: Endpoint; readonly channels: boolean }) => {
  const { endpoint } = props
  const navigate = useNavigate()
  const stats = useEndpointStats(endpoint.id, { pollMs: LIST_POLL_MS })
  const rate = successRate(stats.data)
  const last = stats.data?.lastAttempt ?? null
  return (
    <tr>
      <td>
        <Button variant="link" onClick={() => navigate({ screen: "endpoint", id: endpoint.id })}>
          {endpoint.name ?? endpoint.id}
        </Button>
        <div className="hw-url">{endpoint.url}</div>
      </td>
      <td>
        {endpoint.eventTypes.length === 0
          ? <span className="hw-muted">All events</span>
          : endpoint.eventTypes.join(", ")}
      </td>
      {props.channels
        ? (
          <td>
            {endpoint.channels.length === 0 ? <span className="hw-muted">All</span> : endpoint.channels.join(", ")}
          </td>
        )
        : null}
      <td>
        <EndpointStatus endpoint={endpoint} />
      </td>
      <td>
        {stats.data === undefined ? "…" : rate === null ? <span className="hw-muted">No attempts</span> : `${rate}%`}
      </td>
      <td>
        {last === null
          ? <span className="hw-muted">Never</span>
          : (
            <>
              {relativeTime(last.at)}{" "}
              <span className="hw-muted">
                ({last.responseStatus !== null ? `HTTP ${last.responseStatus}` : last.errorKind ?? "error"})
              </span>
            </>
          )}
      </td>
    </tr>
  )
}
