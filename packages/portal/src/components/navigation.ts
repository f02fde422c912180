/**
 * The portal's screens and how to move between them. Navigation is component state, not the URL: the portal runs
 * inside a host's page (or the standalone page, whose fragment carried the token) and must not touch its routing.
 */
import { createContext, useContext } from "react"

/**
 * @since 0.1.0
 * @category models
 */
export type View =
  | { readonly screen: "endpoints" }
  | { readonly screen: "create" }
  | { readonly screen: "endpoint"; readonly id: string }
  | { readonly screen: "edit"; readonly id: string }
  | { readonly screen: "delivery"; readonly endpointId: string; readonly id: string }
  | { readonly screen: "catalog" }

export const NavigateContext = createContext<(view: View) => void>(() => {})

export const useNavigate = (): (view: View) => void => useContext(NavigateContext)

/** The title each screen's heading shows (and the document title in the standalone page). */
export const screenTitle = (view: View): string => {
  switch (view.screen) {
    case "endpoints":
      return "Endpoints"
    case "create":
      return "Add endpoint"
    case "endpoint":
      return "Endpoint"
    case "edit":
      return "Edit endpoint"
    case "delivery":
      return "Delivery"
    case "catalog":
      return "Event catalog"
  }
}
