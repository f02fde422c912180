/**
 * One delivery: its status, the message it carries (the request body every attempt sent) and each attempt, newest
 * first, with request headers, response status, headers and body, and duration. Failed deliveries can be retried.
 */
import { useState } from "react"
import type { Attempt } from "../client/types.js"
import { useDelivery, useEndpointActions, useMessage } from "../hooks/hooks.js"
import { attemptResult, attemptSucceeded, prettyBody, relativeTime } from "../internal/format.js"
import { DeliveryStatusBadge } from "./DeliveryList.js"
import { useNavigate } from "./navigation.js"
import { Badge, Button, CodeBlock, ErrorNote, Loading } from "./ui.js"

const POLL_MS = 2_000

/**
 * @since 0.1.0
 * @category constructors
 */
export const DeliveryPage = (
  props: { readonly id: string; readonly endpointId: string; readonly canWrite: boolean }
) => {
  const navigate = useNavigate()
  const delivery = useDelivery(props.id, { pollMs: POLL_MS })
  const message = useMessage(delivery.data?.messageId)
  const actions = useEndpointActions()
  const [error, setError] = useState<Error | undefined>(undefined)
  const d = delivery.data
  return (
    <section>
      <Button variant="link" onClick={() => navigate({ screen: "endpoint", id: props.endpointId })}>
        ← Back to the endpoint
      </Button>
      {d === undefined
        ? delivery.error === undefined
          ? <Loading what="the delivery" />
          : (
            <>
              <h1 tabIndex={-1}>Delivery not found</h1>
              <ErrorNote error={delivery.error} />
            </>
          )
        : (
          <>
            <div className="hw-titlebar">
              <h1 tabIndex={-1}>
                Delivery <code>{d.id}</code>
              </h1>
              <DeliveryStatusBadge status={d.status} />
            </div>
            <dl className="hw-facts">
              <dt>Event</dt>
              <dd>{message.data === undefined ? <code>{d.messageId}</code> : <code>{message.data.type}</code>}</dd>
              <dt>Message</dt>
              <dd>
                <code>{d.messageId}</code>
              </dd>
              <dt>Attempts</dt>
              <dd>{d.attempts}</dd>
              <dt>Created</dt>
              <dd>{relativeTime(d.createdAt)}</dd>
              {d.status === "pending" && d.nextAttemptAt !== null
                ? (
                  <>
                    <dt>Next attempt</dt>
                    <dd>{relativeTime(d.nextAttemptAt)}</dd>
                  </>
                )
                : null}
            </dl>
            {props.canWrite && (d.status === "failed" || d.status === "cancelled")
              ? (
                <div className="hw-actions">
                  <Button
                    variant="primary"
                    onClick={() => actions.retry(d.id).then(() => delivery.refresh(), setError)}
                  >
                    Retry delivery
                  </Button>
                </div>
              )
              : null}
            <ErrorNote error={error} />
            <section className="hw-panel" aria-labelledby="hw-request-title">
              <h2 id="hw-request-title">Request body</h2>
              {message.data === undefined
                ? <Loading what="the payload" />
                : <CodeBlock label="Request body">{JSON.stringify(message.data.payload, null, 2)}</CodeBlock>}
            </section>
            <section className="hw-panel" aria-labelledby="hw-attempts-title">
              <h2 id="hw-attempts-title">Attempts</h2>
              {d.attemptLog.length === 0
                ? <p className="hw-empty">No attempt yet.</p>
                : <ol className="hw-attempts">{d.attemptLog.map((a) => <AttemptItem key={a.id} attempt={a} />)}</ol>}
            </section>
          </>
        )}
    </section>
  )
}

const Headers = (props: { readonly title: string; readonly headers: Readonly<Record<string, string>> }) => (
  <>
    <h4>{props.title}</h4>
    <CodeBlock label={props.title}>
      {Object.entries(props.headers).map(([k, v]) => `${k}: ${v}`).join("\n") || "(none)"}
    </CodeBlock>
  </>
)

const AttemptItem = (props: { readonly attempt: Attempt }) => {
  const a = props.attempt
  const ok = attemptSucceeded(a)
  return (
    <li className="hw-attempt" data-attempt={a.attempt}>
      <h3>
        Attempt {a.attempt} <Badge tone={ok ? "success" : "danger"}>{attemptResult(a)}</Badge>
      </h3>
      <p className="hw-muted">
        {new Date(a.startedAt).toLocaleString()} · {a.durationMs} ms · {a.trigger}
      </p>
      {a.requestHeaders ? <Headers title="Request headers" headers={a.requestHeaders} /> : null}
      {a.responseHeaders ? <Headers title="Response headers" headers={a.responseHeaders} /> : null}
      {a.responseStatus === null ? null : (
        <>
          <h4>Response body</h4>
          <CodeBlock label={`Response body of attempt ${a.attempt}`}>{prettyBody(a.responseBody)}</CodeBlock>
        </>
      )}
    </li>
  )
}
