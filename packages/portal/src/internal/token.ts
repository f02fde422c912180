/**
 * The standalone page's token hand-off: the host links to `{mount}/portal/#token=...`. The fragment never reaches a
 * server (no access log, no `Referer`); the page reads it once and removes it from the address bar and history with
 * `history.replaceState`, so it is not bookmarked, shared or left in the back-forward list.
 */

interface LocationLike {
  readonly hash: string
  readonly pathname: string
  readonly search: string
}

interface HistoryLike {
  readonly state: unknown
  replaceState(data: unknown, unused: string, url?: string | URL | null): void
}

/** Reads `token` from the fragment and removes it (other fragment parameters stay). Null when there is none. */
export const takeTokenFromLocation = (location: LocationLike, history: HistoryLike): string | null => {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""))
  const token = params.get("token")
  if (token === null) return null
  params.delete("token")
  const rest = params.toString()
  history.replaceState(history.state, "", `${location.pathname}${location.search}${rest === "" ? "" : `#${rest}`}`)
  return token === "" ? null : token
}

/** The API's mount root for a page served at `{mount}/portal/…`. */
export const apiBaseFromLocation = (href: string): string => {
  const url = new URL(href)
  const at = url.pathname.lastIndexOf("/portal/")
  url.pathname = at === -1 ? new URL("../", url).pathname : url.pathname.slice(0, at + 1)
  url.search = ""
  url.hash = ""
  return url.toString()
}
