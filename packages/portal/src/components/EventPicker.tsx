/**
 * Picks an endpoint's event filter from the catalog: every event, or chosen types and wildcard groups
 * (`invoice.*`), each with its description.
 */
import { useId } from "react"
import type { EventType } from "../client/types.js"
import { filterMatches, groupEventTypes } from "../internal/catalog.js"

export const EventPicker = (props: {
  readonly types: ReadonlyArray<EventType>
  readonly value: ReadonlyArray<string>
  readonly onChange: (value: ReadonlyArray<string>) => void
  readonly error?: string | undefined
}) => {
  const id = useId()
  const all = props.value.length === 0
  const groups = groupEventTypes(props.types)
  // Checking a group drops the entries it covers (the filter stays minimal); unchecking the last entry is refused,
  // since an empty filter means "every event" (the other radio).
  const toggle = (entry: string, on: boolean) => {
    const rest = props.value.filter((v) => v !== entry)
    const next = on
      ? [...rest.filter((v) => !(entry.endsWith(".*") && v !== entry && filterMatches(entry, v))), entry]
      : rest
    if (next.length > 0) props.onChange(next)
  }
  const coveredByGroup = (type: string) => props.value.some((v) => v.endsWith(".*") && filterMatches(v, type))
  const errorId = `${id}-error`
  return (
    <fieldset className="hw-fieldset" aria-describedby={props.error === undefined ? undefined : errorId}>
      <legend>Events</legend>
      <div className="hw-radio">
        <input
          type="radio"
          id={`${id}-all`}
          name={`${id}-mode`}
          checked={all}
          onChange={() => props.onChange([])}
        />
        <label htmlFor={`${id}-all`}>Every event, including types added later</label>
      </div>
      <div className="hw-radio">
        <input
          type="radio"
          id={`${id}-some`}
          name={`${id}-mode`}
          checked={!all}
          onChange={() => props.types[0] && props.onChange([props.types[0].name])}
        />
        <label htmlFor={`${id}-some`}>Only the events I choose</label>
      </div>
      {all ? null : (
        <div className="hw-event-options">
          {groups.length === 0 ? null : (
            <fieldset className="hw-fieldset hw-nested">
              <legend>Groups</legend>
              {groups.map((group) => (
                <div className="hw-check" key={group.wildcard}>
                  <input
                    type="checkbox"
                    id={`${id}-${group.wildcard}`}
                    checked={props.value.includes(group.wildcard)}
                    onChange={(e) => toggle(group.wildcard, e.target.checked)}
                  />
                  <label htmlFor={`${id}-${group.wildcard}`}>
                    <code>{group.wildcard}</code>{" "}
                    <span className="hw-muted">
                      all {group.types.length} events, and any added later
                    </span>
                  </label>
                </div>
              ))}
            </fieldset>
          )}
          <fieldset className="hw-fieldset hw-nested">
            <legend>Event types</legend>
            {props.types.map((type) => (
              <div className="hw-check" key={type.name}>
                <input
                  type="checkbox"
                  id={`${id}-${type.name}`}
                  checked={props.value.includes(type.name) || coveredByGroup(type.name)}
                  disabled={coveredByGroup(type.name)}
                  onChange={(e) => toggle(type.name, e.target.checked)}
                />
                <label htmlFor={`${id}-${type.name}`}>
                  <code>{type.name}</code>
                  {type.deprecated ? <span className="hw-badge hw-badge-warning">deprecated</span> : null}{" "}
                  <span className="hw-muted">{type.description}</span>
                </label>
              </div>
            ))}
          </fieldset>
        </div>
      )}
      {props.error === undefined ? null : <p id={errorId} className="hw-field-error">{props.error}</p>}
    </fieldset>
  )
}
