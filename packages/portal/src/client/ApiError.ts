/**
 * The error every portal call fails with: the API's RFC 9457 problem document (status, the engine's `code`, the
 * per-field messages) or, when no answer came, a network error with status 0.
 */
import type { Problem } from "./types.js"

/**
 * @since 0.1.0
 * @category errors
 */
export class ApiError extends Error {
  override readonly name = "ApiError"
  readonly status: number
  readonly code: string
  /** Per-field messages (`url`, `eventTypes.0`, …) for validation failures; empty otherwise. */
  readonly errors: ReadonlyArray<{ readonly path: string; readonly message: string }>

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? `request failed with status ${problem.status}`)
    this.status = problem.status
    this.code = problem.code ?? (problem.status === 0 ? "network" : "unknown")
    this.errors = problem.errors ?? []
  }

  /** The message for one field (`url`), or for its first sub-path (`eventTypes.0`). */
  fieldError(field: string): string | undefined {
    return this.errors.find((e) => e.path === field || e.path.startsWith(`${field}.`))?.message
  }
}

/** Reads a failed response as a problem document, whatever the server sent. */
export const problemOf = async (response: Response): Promise<Problem> => {
  const text = await response.text().catch(() => "")
  try {
    const parsed = JSON.parse(text) as Partial<Problem>
    if (parsed !== null && typeof parsed === "object") return { ...parsed, status: response.status }
  } catch {
    // not JSON: fall through to the status line
  }
  const detail = text.slice(0, 500)
  return { status: response.status, title: response.statusText, ...(detail === "" ? {} : { detail }) }
}
