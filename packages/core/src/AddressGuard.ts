/**
 * The SSRF guard as a value other transports can use: the address classes the HTTP transport refuses by default
 * (loopback, private, link-local incl. 169.254.169.254, CGNAT, multicast, reserved, IPv6 ULA / link-local / mapped
 * forms), an allow-list of CIDRs, and an "allow private networks" switch for development and tests. `resolve` looks a
 * host name up and checks the address that will be dialled, so a broker transport connects to exactly the address it
 * checked (DNS rebinding cannot slip another in between).
 *
 * @since 0.5.0
 */
import * as Effect from "effect/Effect"
import * as Dns from "node:dns"
import { TransportError } from "./Errors.js"
import * as IpRange from "./internal/ipRange.js"

/**
 * @since 0.5.0
 * @category models
 */
export interface Options {
  /** CIDRs (or single addresses) allowed although non-public, e.g. `["10.1.0.0/16"]`. */
  readonly allowCidrs?: ReadonlyArray<string> | undefined
  /** Allow every non-public address (development and tests only). */
  readonly allowPrivateNetworks?: boolean | undefined
}

/**
 * @since 0.5.0
 * @category models
 */
export interface AddressGuard {
  /** Why `address` (an IP literal) is refused — its class, e.g. "loopback" — or undefined when it is allowed. */
  readonly refuse: (address: string) => string | undefined
}

/**
 * The guard for `options`. Throws on an invalid CIDR (a configuration error, raised when the transport is built).
 *
 * @since 0.5.0
 * @category constructors
 */
export const make = (options: Options = {}): AddressGuard => {
  if (options.allowPrivateNetworks === true) return { refuse: () => undefined }
  const cidrs = (options.allowCidrs ?? []).map((input) => {
    const cidr = IpRange.parseCidr(input)
    if (cidr === undefined) throw new Error(`allowCidrs: ${JSON.stringify(input)} is not a CIDR like "10.0.0.0/8"`)
    return cidr
  })
  return { refuse: IpRange.makePolicy(cidrs) }
}

/**
 * The address to dial for `host` (a name or an IP literal): the first the resolver gives, checked by `guard`. Fails
 * with `TransportError` `dns` when the name does not resolve and `blocked` when the address is refused.
 *
 * @since 0.5.0
 * @category combinators
 */
export const resolve = (guard: AddressGuard, host: string): Effect.Effect<string, TransportError> =>
  Effect.flatMap(
    Effect.async<string, TransportError>((resume) => {
      const literal = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host
      Dns.lookup(literal, { verbatim: true }, (error, address) => {
        resume(
          error !== null
            ? Effect.fail(
              new TransportError({
                code: "dns",
                message: `${host}: ${error.code ?? "lookup failed"} (host name not found)`
              })
            )
            : Effect.succeed(address)
        )
      })
    }),
    (address) => {
      const refused = guard.refuse(address)
      return refused === undefined ? Effect.succeed(address) : Effect.fail(
        new TransportError({
          code: "blocked",
          message: `${host} resolves to ${address}, a ${refused} address, which the SSRF guard refuses; allow it ` +
            `with allowCidrs (or allowPrivateNetworks in development)`
        })
      )
    }
  )
