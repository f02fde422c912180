/**
 * The portal's small building blocks: buttons, badges, a modal dialog on the native `<dialog>` (focus trap and
 * Escape for free), a copy button, error and loading notes. Class names are `hw-*`; the look comes from
 * src/styles/portal.css and its custom properties.
 */
import {
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  useEffect,
  useId,
  useRef,
  useState
} from "react"
import type { ApiError } from "../client/ApiError.js"

type Variant = "primary" | "secondary" | "danger" | "link"

export const Button = (
  props: ButtonHTMLAttributes<HTMLButtonElement> & { readonly variant?: Variant }
) => {
  const { variant = "secondary", className, type, ...rest } = props
  return <button type={type ?? "button"} className={`hw-button hw-button-${variant} ${className ?? ""}`} {...rest} />
}

export const Badge = (props: { readonly tone: string; readonly children: ReactNode }) => (
  <span className={`hw-badge hw-badge-${props.tone}`}>{props.children}</span>
)

export const ErrorNote = (props: { readonly error: ApiError | Error | undefined; readonly prefix?: string }) =>
  props.error === undefined ? null : (
    <p className="hw-error" role="alert">
      {props.prefix === undefined ? "" : `${props.prefix}: `}
      {props.error.message}
    </p>
  )

export const Loading = (props: { readonly what: string }) => (
  <p className="hw-muted" role="status">Loading {props.what}…</p>
)

/** A modal dialog: open while `open`, closed by Escape or `onClose`. Focus returns where it was. */
export const Dialog = (props: {
  readonly open: boolean
  readonly title: string
  readonly onClose: () => void
  readonly children: ReactNode
}) => {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  useEffect(() => {
    const dialog = ref.current
    if (dialog === null) return
    if (props.open && !dialog.open) dialog.showModal()
    if (!props.open && dialog.open) dialog.close()
  }, [props.open])
  return (
    <dialog
      ref={ref}
      className="hw-dialog"
      aria-labelledby={titleId}
      onClose={() => props.open && props.onClose()}
      onCancel={(event) => {
        event.preventDefault()
        props.onClose()
      }}
    >
      {props.open
        ? (
          <>
            <h2 id={titleId} className="hw-dialog-title">{props.title}</h2>
            {props.children}
          </>
        )
        : null}
    </dialog>
  )
}

/** Copies a value to the clipboard and says so. */
export const CopyButton = (props: { readonly value: string; readonly label: string }) => {
  const [copied, setCopied] = useState<"idle" | "done" | "failed">("idle")
  return (
    <>
      <Button
        onClick={() =>
          navigator.clipboard.writeText(props.value).then(
            () => setCopied("done"),
            () => setCopied("failed")
          )}
      >
        {props.label}
      </Button>
      <span className="hw-muted" role="status">
        {copied === "done" ? " Copied." : copied === "failed" ? " Copy failed: select the text and copy it." : ""}
      </span>
    </>
  )
}

/** A labelled field with its error under it, wired with aria-describedby / aria-invalid. */
export const Field = (props: {
  readonly label: string
  readonly hint?: string | undefined
  readonly error?: string | undefined
  readonly children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode
}) => {
  const id = useId()
  const hintId = `${id}-hint`
  const errorId = `${id}-error`
  const describedBy = [props.hint === undefined ? null : hintId, props.error === undefined ? null : errorId]
    .filter((x) => x !== null).join(" ") || undefined
  return (
    <div className="hw-field">
      <label htmlFor={id}>{props.label}</label>
      {props.hint === undefined ? null : <p id={hintId} className="hw-hint">{props.hint}</p>}
      {props.children({ id, describedBy, invalid: props.error !== undefined })}
      {props.error === undefined ? null : <p id={errorId} className="hw-field-error">{props.error}</p>}
    </div>
  )
}

/** Pretty-printed code or body text in a scrollable, focusable block. */
export const CodeBlock = (props: { readonly label: string; readonly children: string }) => (
  <pre className="hw-code" tabIndex={0} aria-label={props.label}>
    <code>{props.children}</code>
  </pre>
)

/** A labelled text input (a `Field` around an `<input>`): the value, and its change as a string. */
export const TextField = (
  props: Omit<InputHTMLAttributes<HTMLInputElement>, "onChange" | "value"> & {
    readonly label: string
    readonly hint?: string | undefined
    readonly error?: string | undefined
    readonly value: string
    readonly onChange: (value: string) => void
  }
) => {
  const { label, hint, error, value, onChange, ...input } = props
  return (
    <Field label={label} hint={hint} error={error}>
      {(f) => (
        <input
          {...input}
          id={f.id}
          aria-describedby={f.describedBy}
          aria-invalid={f.invalid}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  )
}

/**
 * Older / Newer buttons over a cursor-paged list: a stack of the cursors followed so far. `cursor` is the page to
 * fetch (undefined: the first, newest page).
 */
export const useCursorPages = () => {
  const [cursors, setCursors] = useState<ReadonlyArray<string>>([])
  return {
    cursor: cursors.at(-1),
    reset: () => setCursors([]),
    pager: (nextCursor: string | null | undefined) => (
      <div className="hw-pager">
        {cursors.length > 0 ? <Button onClick={() => setCursors(cursors.slice(0, -1))}>Newer</Button> : null}
        {nextCursor ? <Button onClick={() => setCursors([...cursors, nextCursor])}>Older</Button> : null}
      </div>
    )
  }
}
