/**
 * The one time a signing secret is shown (after create and after rotate): the value, a copy button, and a plain
 * warning that it cannot be shown again.
 */
import { Button, CodeBlock, CopyButton } from "./ui.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const SecretReveal = (
  props: { readonly secret: string; readonly onDone: () => void; readonly doneLabel?: string }
) => (
  <div className="hw-secret">
    <p className="hw-warning" role="note">
      <strong>Copy this signing secret now: you will not see it again.</strong>{" "}
      Store it where your receiver reads it (for example the <code>WEBHOOK_SECRET</code>{" "}
      environment variable). If you lose it, rotate the secret.
    </p>
    <CodeBlock label="Signing secret">{props.secret}</CodeBlock>
    <div className="hw-actions">
      <CopyButton value={props.secret} label="Copy secret" />
      <Button variant="primary" onClick={props.onDone}>{props.doneLabel ?? "I have stored it"}</Button>
    </div>
  </div>
)
