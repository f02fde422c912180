/**
 * What a `manage` session can do to an endpoint: edit, rotate its secret (shown once), disable with a reason or
 * enable, send a test event, recover failed deliveries since a time, delete after a confirmation. Each action opens
 * a modal dialog; read sessions never see this bar.
 */
import { type FormEvent, type ReactNode, useState } from "react"
import type { Endpoint } from "../client/types.js"
import { useEndpointActions, useEventTypes } from "../hooks/hooks.js"
import { isoToLocalInput, localInputToIso } from "../internal/format.js"
import { useNavigate } from "./navigation.js"
import { SecretReveal } from "./SecretReveal.js"
import { Button, Dialog, ErrorNote, Field, TextField } from "./ui.js"

type Open = "rotate" | "disable" | "test" | "recover" | "delete" | null

/**
 * @since 0.1.0
 * @category constructors
 */
export const EndpointActions = (props: { readonly endpoint: Endpoint }) => {
  const { endpoint } = props
  const navigate = useNavigate()
  const actions = useEndpointActions()
  const [open, setOpen] = useState<Open>(null)
  const [error, setError] = useState<Error | undefined>(undefined)
  const close = () => setOpen(null)
  const run = (task: () => Promise<unknown>) => {
    setError(undefined)
    task().catch((e: Error) => setError(e))
  }
  return (
    <div className="hw-toolbar" role="toolbar" aria-label="Endpoint actions">
      <Button onClick={() => navigate({ screen: "edit", id: endpoint.id })}>Edit</Button>
      <Button onClick={() => setOpen("test")}>Send test event</Button>
      <Button onClick={() => setOpen("recover")}>Recover failed</Button>
      <Button onClick={() => setOpen("rotate")}>Rotate secret</Button>
      {endpoint.disabled
        ? <Button onClick={() => run(() => actions.enable(endpoint.id))}>Enable</Button>
        : <Button onClick={() => setOpen("disable")}>Disable</Button>}
      <Button variant="danger" onClick={() => setOpen("delete")}>Delete</Button>
      <ErrorNote error={error} />
      <RotateDialog open={open === "rotate"} endpoint={endpoint} onClose={close} />
      <DisableDialog open={open === "disable"} endpoint={endpoint} onClose={close} />
      <TestDialog open={open === "test"} endpoint={endpoint} onClose={close} />
      <RecoverDialog open={open === "recover"} endpoint={endpoint} onClose={close} />
      <Dialog open={open === "delete"} title="Delete this endpoint?" onClose={close}>
        <p>
          <strong>{endpoint.name ?? endpoint.id}</strong>{" "}
          ({endpoint.url}) will stop receiving webhooks at once, and its pending deliveries are cancelled. This cannot
          be undone.
        </p>
        <div className="hw-actions">
          <Button
            variant="danger"
            onClick={() =>
              run(async () => {
                await actions.remove(endpoint.id)
                close()
                navigate({ screen: "endpoints" })
              })}
          >
            Delete endpoint
          </Button>
          <Button onClick={close}>Cancel</Button>
        </div>
        <ErrorNote error={error} />
      </Dialog>
    </div>
  )
}

interface DialogProps {
  readonly open: boolean
  readonly endpoint: Endpoint
  readonly onClose: () => void
}

const RotateDialog = (props: DialogProps) => {
  const actions = useEndpointActions()
  const [secret, setSecret] = useState<string | null>(null)
  const [error, setError] = useState<Error | undefined>(undefined)
  const close = () => {
    setSecret(null)
    setError(undefined)
    props.onClose()
  }
  return (
    <Dialog
      open={props.open}
      title={secret === null ? "Rotate the signing secret?" : "New signing secret"}
      onClose={close}
    >
      {secret === null
        ? (
          <>
            <p>
              A new secret signs every delivery from now on. The old one keeps signing alongside it for a while, so you
              can update your receiver without missing a webhook.
            </p>
            <ErrorNote error={error} />
            <div className="hw-actions">
              <Button
                variant="primary"
                onClick={() => actions.rotateSecret(props.endpoint.id).then((r) => setSecret(r.secret), setError)}
              >
                Rotate secret
              </Button>
              <Button onClick={close}>Cancel</Button>
            </div>
          </>
        )
        : <SecretReveal secret={secret} onDone={close} />}
    </Dialog>
  )
}

const DisableDialog = (props: DialogProps) => {
  const actions = useEndpointActions()
  const [reason, setReason] = useState("")
  const [error, setError] = useState<Error | undefined>(undefined)
  const submit = (event: FormEvent) => {
    event.preventDefault()
    actions.disable(props.endpoint.id, reason.trim()).then(() => {
      setReason("")
      props.onClose()
    }, setError)
  }
  return (
    <Dialog open={props.open} title="Disable this endpoint?" onClose={props.onClose}>
      <form onSubmit={submit}>
        <p>No webhooks are sent to it while it is disabled. Enable it again at any time.</p>
        <TextField
          label="Reason"
          hint="Optional, shown with the endpoint's status."
          value={reason}
          onChange={setReason}
        />
        <ErrorNote error={error} />
        <div className="hw-actions">
          <Button type="submit" variant="primary">Disable endpoint</Button>
          <Button onClick={props.onClose}>Cancel</Button>
        </div>
      </form>
    </Dialog>
  )
}

/** A dialog whose form runs one task and shows its outcome (a sentence) or its error, until closed. */
const TaskDialog = (props: {
  readonly open: boolean
  readonly title: string
  readonly submitLabel: string
  readonly canSubmit?: boolean
  readonly onClose: () => void
  /** Runs the task; resolves with the sentence to show. */
  readonly run: () => Promise<string>
  readonly children: ReactNode
}) => {
  const [result, setResult] = useState<string | null>(null)
  const [error, setError] = useState<Error | undefined>(undefined)
  const close = () => {
    setResult(null)
    setError(undefined)
    props.onClose()
  }
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setError(undefined)
    props.run().then(setResult, setError)
  }
  return (
    <Dialog open={props.open} title={props.title} onClose={close}>
      <form onSubmit={submit}>
        {props.children}
        <ErrorNote error={error} />
        {result === null ? null : <p role="status" className="hw-ok">{result}</p>}
        <div className="hw-actions">
          <Button type="submit" variant="primary" disabled={props.canSubmit === false}>{props.submitLabel}</Button>
          <Button onClick={close}>Close</Button>
        </div>
      </form>
    </Dialog>
  )
}

const TestDialog = (props: DialogProps) => {
  const actions = useEndpointActions()
  const catalog = useEventTypes()
  const [type, setType] = useState("")
  const chosen = type || catalog.data?.[0]?.name || ""
  return (
    <TaskDialog
      open={props.open}
      title="Send a test event"
      submitLabel="Send test event"
      canSubmit={chosen !== ""}
      onClose={props.onClose}
      run={() =>
        actions.sendTest(props.endpoint.id, chosen).then((sent) =>
          `Sent a ${chosen} example as delivery ${sent.deliveryId}. It appears in the history below.`
        )}
    >
      <Field label="Event type" hint="The catalog's example payload of this type is sent to this endpoint only.">
        {(f) => (
          <select
            id={f.id}
            aria-describedby={f.describedBy}
            value={chosen}
            onChange={(e) => setType(e.target.value)}
          >
            {(catalog.data ?? []).map((t) => <option key={t.name} value={t.name}>{t.name}</option>)}
          </select>
        )}
      </Field>
    </TaskDialog>
  )
}

const RecoverDialog = (props: DialogProps) => {
  const actions = useEndpointActions()
  const [since, setSince] = useState(() => isoToLocalInput(Date.now() - 24 * 3600_000))
  const run = async () => {
    const iso = localInputToIso(since)
    if (iso === undefined) throw new Error("Give a date and time to recover from.")
    const { recovered } = await actions.recover(props.endpoint.id, iso)
    return `${recovered} failed ${recovered === 1 ? "delivery is" : "deliveries are"} being sent again.`
  }
  return (
    <TaskDialog
      open={props.open}
      title="Recover failed deliveries"
      submitLabel="Recover"
      onClose={props.onClose}
      run={run}
    >
      <p>Every delivery to this endpoint that failed since this time is sent again.</p>
      <TextField label="Failed since (your local time)" type="datetime-local" value={since} onChange={setSince} />
    </TaskDialog>
  )
}
