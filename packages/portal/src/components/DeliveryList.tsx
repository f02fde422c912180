/**
 * An endpoint's delivery history: newest first, filtered by status, refreshed every few seconds while shown (so a
 * new delivery or a retry's outcome appears without reloading), with a retry button on failed ones.
 */
import { useId, useState } from "react"
import type { Delivery, DeliveryStatus } from "../client/types.js"
import { useDeliveries, useEndpointActions } from "../hooks/hooks.js"
import { deliveryResult, relativeTime } from "../internal/format.js"
import { useNavigate } from "./navigation.js"
import { Badge, Button, ErrorNote, Loading, useCursorPages } from "./ui.js"

const STATUSES: ReadonlyArray<DeliveryStatus> = ["pending", "delivered", "failed", "cancelled"]

const tone = (status: DeliveryStatus) =>
  status === "delivered" ? "success" : status === "failed" ? "danger" : status === "pending" ? "warning" : "neutral"

/** A delivery's status as a badge. */
export const DeliveryStatusBadge = (props: { readonly status: DeliveryStatus }) => (
  <Badge tone={tone(props.status)}>{props.status}</Badge>
)

/**
 * @since 0.1.0
 * @category constructors
 */
export const DeliveryList = (
  props: { readonly endpointId: string; readonly canWrite: boolean; readonly pollMs: number }
) => {
  const filterId = useId()
  const [status, setStatus] = useState<DeliveryStatus | "">("")
  const { cursor, pager, reset } = useCursorPages()
  const page = useDeliveries({
    endpointId: props.endpointId,
    ...(status === "" ? {} : { status }),
    ...(cursor === undefined ? {} : { cursor }),
    limit: 25,
    // Only the first page changes as deliveries arrive: poll it, not the older ones.
    ...(cursor === undefined ? { pollMs: props.pollMs } : {})
  })
  return (
    <section className="hw-panel" aria-labelledby={`${filterId}-title`}>
      <div className="hw-titlebar">
        <h2 id={`${filterId}-title`}>Delivery history</h2>
        <div className="hw-inline-field">
          <label htmlFor={filterId}>Status</label>
          <select
            id={filterId}
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as DeliveryStatus | "")
              reset()
            }}
          >
            <option value="">All</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </div>
      </div>
      <p className="hw-muted">{cursor === undefined ? "Newest first, updated live." : "Newest first."}</p>
      <ErrorNote error={page.error} />
      {page.data === undefined
        ? page.error === undefined ? <Loading what="deliveries" /> : null
        : page.data.data.length === 0
        ? <p className="hw-empty">No deliveries{status === "" ? " yet" : ` with status ${status}`}.</p>
        : (
          <div className="hw-table-wrap">
            <table className="hw-table" aria-live="polite" aria-relevant="additions">
              <caption className="hw-sr-only">Deliveries, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Delivery</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last result</th>
                  <th scope="col">Created</th>
                  <th scope="col">Next attempt</th>
                  {props.canWrite
                    ? (
                      <th scope="col">
                        <span className="hw-sr-only">Actions</span>
                      </th>
                    )
                    : null}
                </tr>
              </thead>
              <tbody>
                {page.data.data.map((d) => <DeliveryRow key={d.id} delivery={d} canWrite={props.canWrite} />)}
              </tbody>
            </table>
          </div>
        )}
      {pager(page.data?.nextCursor)}
    </section>
  )
}

const DeliveryRow = (props: { readonly delivery: Delivery; readonly canWrite: boolean }) => {
  const { delivery: d } = props
  const navigate = useNavigate()
  const actions = useEndpointActions()
  const [error, setError] = useState<Error | undefined>(undefined)
  return (
    <tr data-delivery={d.id} data-status={d.status}>
      <td>
        <Button
          variant="link"
          onClick={() => navigate({ screen: "delivery", endpointId: d.endpointId, id: d.id })}
          aria-label={`Delivery ${d.id}, ${d.status}`}
        >
          <code>{d.id}</code>
        </Button>
      </td>
      <td>
        <DeliveryStatusBadge status={d.status} />
      </td>
      <td>{d.attempts}</td>
      <td>{deliveryResult(d)}</td>
      <td>{relativeTime(d.createdAt)}</td>
      <td>{d.status === "pending" ? relativeTime(d.nextAttemptAt) : "—"}</td>
      {props.canWrite
        ? (
          <td>
            {d.status === "failed" || d.status === "cancelled"
              ? (
                <Button onClick={() => actions.retry(d.id).then(() => setError(undefined), setError)}>
                  Retry<span className="hw-sr-only">delivery {d.id}</span>
                </Button>
              )
              : null}
            <ErrorNote error={error} />
          </td>
        )
        : null}
    </tr>
  )
}
