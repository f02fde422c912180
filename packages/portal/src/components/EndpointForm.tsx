/**
 * Create or edit an endpoint: name, URL (checked as the engine checks it; the API's message for anything else shows
 * at the same field), events from the catalog, channels. A new endpoint's secret is shown once, right after.
 */
import { type FormEvent, useEffect, useState } from "react"
import { ApiError } from "../client/ApiError.js"
import type { Endpoint, EndpointInput } from "../client/types.js"
import { useChannels, useEndpoint, useEndpointActions, useEventTypes } from "../hooks/hooks.js"
import { channelsProblem, parseChannels, urlProblem } from "../internal/validate.js"
import { EventPicker } from "./EventPicker.js"
import { useNavigate } from "./navigation.js"
import { SecretReveal } from "./SecretReveal.js"
import { Button, ErrorNote, Loading, TextField } from "./ui.js"

/**
 * The create form, or the edit form when `id` is given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const EndpointForm = (props: { readonly id?: string }) =>
  props.id === undefined ? <Form /> : <EditForm id={props.id} />

const EditForm = (props: { readonly id: string }) => {
  const endpoint = useEndpoint(props.id)
  if (endpoint.data === undefined) {
    return endpoint.error === undefined ? <Loading what="the endpoint" /> : <ErrorNote error={endpoint.error} />
  }
  return <Form existing={endpoint.data} />
}

interface Errors {
  readonly url?: string | undefined
  readonly eventTypes?: string | undefined
  readonly channels?: string | undefined
  readonly name?: string | undefined
  readonly form?: ApiError | undefined
}

const Form = (props: { readonly existing?: Endpoint }) => {
  const { existing } = props
  const navigate = useNavigate()
  const actions = useEndpointActions()
  const catalog = useEventTypes()
  const usesChannels = useChannels()
  const [name, setName] = useState(existing?.name ?? "")
  const [url, setUrl] = useState(existing?.url ?? "")
  const [events, setEvents] = useState<ReadonlyArray<string>>(existing?.eventTypes ?? [])
  const [channels, setChannels] = useState((existing?.channels ?? []).join(", "))
  const [errors, setErrors] = useState<Errors>({})
  const [busy, setBusy] = useState(false)
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null)

  useEffect(() => setErrors((e) => ({ ...e, url: undefined })), [url])

  if (created !== null) {
    return (
      <section>
        <h1 tabIndex={-1}>Endpoint created</h1>
        <SecretReveal
          secret={created.secret}
          onDone={() => navigate({ screen: "endpoint", id: created.id })}
          doneLabel="I have stored it, open the endpoint"
        />
      </section>
    )
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const channelList = usesChannels ? parseChannels(channels) : []
    const local: Errors = { url: urlProblem(url.trim()), channels: channelsProblem(channelList) }
    if (local.url !== undefined || local.channels !== undefined) {
      setErrors(local)
      return
    }
    const input: EndpointInput = {
      url: url.trim(),
      ...(existing === undefined ? (name.trim() === "" ? {} : { name: name.trim() }) : { name: name.trim() || null }),
      eventTypes: events,
      // A host without channels never sends them (an edit leaves whatever the host set).
      ...(usesChannels ? { channels: channelList } : {})
    }
    setBusy(true)
    try {
      if (existing === undefined) {
        const result = await actions.create(input)
        setCreated({ id: result.id, secret: result.secret })
      } else {
        await actions.update(existing.id, input)
        navigate({ screen: "endpoint", id: existing.id })
      }
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError({ status: 0, detail: String(error) })
      const at = {
        url: e.fieldError("url"),
        eventTypes: e.fieldError("eventTypes"),
        channels: e.fieldError("channels"),
        name: e.fieldError("name")
      }
      const placed = Object.values(at).some((m) => m !== undefined)
      setErrors({ ...at, form: placed ? undefined : e })
    } finally {
      setBusy(false)
    }
  }

  const title = existing === undefined ? "Add endpoint" : "Edit endpoint"
  return (
    <section>
      <h1 tabIndex={-1}>{title}</h1>
      <form className="hw-form" onSubmit={submit} noValidate aria-label={title}>
        <ErrorNote error={errors.form} />
        <TextField
          label="Name"
          hint="Optional: how you recognise this endpoint."
          error={errors.name}
          value={name}
          onChange={setName}
          autoComplete="off"
        />
        <TextField
          label="URL"
          hint="Where we POST each event, e.g. https://example.com/webhooks."
          error={errors.url}
          value={url}
          onChange={setUrl}
          type="url"
          inputMode="url"
          autoComplete="off"
          required
        />
        {catalog.data === undefined
          ? <Loading what="the event catalog" />
          : <EventPicker types={catalog.data} value={events} onChange={setEvents} error={errors.eventTypes} />}
        {usesChannels
          ? (
            <TextField
              label="Channels"
              hint="Optional: only messages for these channels (comma separated, e.g. AAPL, MSFT). Empty: every message."
              error={errors.channels}
              value={channels}
              onChange={setChannels}
              autoComplete="off"
            />
          )
          : null}
        <div className="hw-actions">
          <Button type="submit" variant="primary" disabled={busy}>
            {existing === undefined ? "Create endpoint" : "Save changes"}
          </Button>
          <Button
            onClick={() =>
              navigate(existing === undefined ? { screen: "endpoints" } : { screen: "endpoint", id: existing.id })}
          >
            Cancel
          </Button>
        </div>
      </form>
    </section>
  )
}
