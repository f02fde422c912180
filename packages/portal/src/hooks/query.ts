/**
 * The hooks' small query layer: a keyed fetch with loading / error state, optional polling while mounted, and
 * invalidation by key prefix after a change. Enough for a handful of screens, with no dependency.
 */
import { createContext, useCallback, useContext, useEffect, useRef, useState } from "react"
import type { ApiError } from "../client/ApiError.js"

/** Calls every listener whose key starts with a prefix (after a mutation). */
export class Invalidator {
  private readonly listeners = new Set<{ readonly key: string; readonly run: () => void }>()
  subscribe(key: string, run: () => void): () => void {
    const entry = { key, run }
    this.listeners.add(entry)
    return () => void this.listeners.delete(entry)
  }
  invalidate(...prefixes: ReadonlyArray<string>): void {
    for (const entry of [...this.listeners]) {
      if (prefixes.some((p) => entry.key.startsWith(p))) entry.run()
    }
  }
}

export const InvalidatorContext = createContext<Invalidator>(new Invalidator())

/**
 * A query's state.
 *
 * @since 0.1.0
 * @category models
 */
export interface QueryState<A> {
  readonly data: A | undefined
  readonly error: ApiError | undefined
  readonly loading: boolean
  /** Fetches again now (keeps the current data while it runs). */
  readonly refresh: () => void
}

export interface QueryOptions {
  /** Fetch again every `pollMs` while mounted and the page is visible. */
  readonly pollMs?: number | undefined
  /** Skip fetching while false. */
  readonly enabled?: boolean | undefined
}

export const useQuery = <A>(key: string, fetcher: () => Promise<A>, options: QueryOptions = {}): QueryState<A> => {
  const invalidator = useContext(InvalidatorContext)
  const [state, setState] = useState<{ data: A | undefined; error: ApiError | undefined; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: options.enabled !== false
  })
  const fetcherRef = useRef(fetcher)
  fetcherRef.current = fetcher
  const generation = useRef(0)
  const enabled = options.enabled !== false

  const run = useCallback(() => {
    const mine = ++generation.current
    setState((s) => ({ ...s, loading: true }))
    fetcherRef.current().then(
      (data) => {
        if (mine === generation.current) setState({ data, error: undefined, loading: false })
      },
      (error: ApiError) => {
        if (mine === generation.current) setState((s) => ({ data: s.data, error, loading: false }))
      }
    )
  }, [])

  useEffect(() => {
    if (!enabled) return
    setState({ data: undefined, error: undefined, loading: true })
    run()
    const unsubscribe = invalidator.subscribe(key, run)
    return () => {
      generation.current++
      unsubscribe()
    }
  }, [key, enabled, invalidator, run])

  useEffect(() => {
    if (!enabled || options.pollMs === undefined) return
    const timer = setInterval(() => {
      if (typeof document === "undefined" || document.visibilityState !== "hidden") run()
    }, options.pollMs)
    return () => clearInterval(timer)
  }, [enabled, options.pollMs, run, key])

  return { ...state, refresh: run }
}
