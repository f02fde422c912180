/**
 * The event catalog: every type the account can receive, with its description, JSON Schema and an example
 * payload, each schema folded in a `<details>` so the list stays short.
 */
import { useEventTypes } from "../hooks/hooks.js"
import { Badge, CodeBlock, ErrorNote, Loading } from "./ui.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const EventCatalog = () => {
  const catalog = useEventTypes()
  return (
    <section>
      <h1 tabIndex={-1}>Event catalog</h1>
      <p className="hw-muted">Every event you can subscribe an endpoint to.</p>
      <ErrorNote error={catalog.error} />
      {catalog.data === undefined
        ? catalog.error === undefined ? <Loading what="the event catalog" /> : null
        : catalog.data.length === 0
        ? <p className="hw-empty">No event types yet.</p>
        : (
          <ul className="hw-catalog">
            {catalog.data.map((type) => (
              <li key={type.name} className="hw-panel">
                <h2>
                  <code>{type.name}</code> {type.deprecated ? <Badge tone="warning">deprecated</Badge> : null}
                </h2>
                <p>{type.description || <span className="hw-muted">No description.</span>}</p>
                <details>
                  <summary>JSON Schema</summary>
                  <CodeBlock label={`JSON Schema of ${type.name}`}>{JSON.stringify(type.schema, null, 2)}</CodeBlock>
                </details>
                <details open={type.examples.length > 0}>
                  <summary>Example</summary>
                  {type.examples.length === 0
                    ? <p className="hw-muted">No example.</p>
                    : (
                      <CodeBlock label={`Example of ${type.name}`}>
                        {JSON.stringify(type.examples[0], null, 2)}
                      </CodeBlock>
                    )}
                </details>
              </li>
            ))}
          </ul>
        )}
    </section>
  )
}
