/**
 * Address classes the HTTP transport refuses to connect to by default (the SSRF guard), and CIDR parsing for the
 * operator's allow-list. Matching is done by `node:net`'s `BlockList`, which covers IPv4 and IPv6 and matches
 * IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`, `::ffff:7f00:1`) against IPv4 rules. Three other IPv6 forms embed
 * an IPv4 address that a gateway or the host's own stack will reach — NAT64 `64:ff9b::/96`, 6to4 `2002::/16` and
 * IPv4-translated (SIIT) `::ffff:0:0:0/96` — so every IPv4 rule is also installed at its embedded position there:
 * `64:ff9b::7f00:1` and `::ffff:0:7f00:1` are loopback, `64:ff9b::808:808` is public. The IPv4-translated range is
 * never a public destination, so the rest of it is refused as reserved.
 *
 * @internal
 */
import * as Net from "node:net"

/** @internal */
export type Family = "ipv4" | "ipv6"

/** @internal */
export interface Cidr {
  readonly address: string
  readonly prefix: number
  readonly family: Family
}

/** @internal */
export type AddressClass =
  | "unspecified"
  | "loopback"
  | "private"
  | "carrier-grade NAT"
  | "link-local"
  | "unique local"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "not an IP address"

const v4 = (address: string, prefix: number): Cidr => ({ address, prefix, family: "ipv4" })
const v6 = (address: string, prefix: number): Cidr => ({ address, prefix, family: "ipv6" })

/**
 * Checked in this order, so the first matching class names the refusal (broadcast before reserved 240/4).
 * Sources: RFC 6890 and the IANA IPv4/IPv6 special-purpose address registries.
 */
const classes: ReadonlyArray<readonly [AddressClass, ReadonlyArray<Cidr>]> = [
  ["unspecified", [v4("0.0.0.0", 8), v6("::", 128)]],
  ["loopback", [v4("127.0.0.0", 8), v6("::1", 128)]],
  ["private", [v4("10.0.0.0", 8), v4("172.16.0.0", 12), v4("192.168.0.0", 16)]],
  ["carrier-grade NAT", [v4("100.64.0.0", 10)]],
  // 169.254.169.254 (cloud metadata) lives here.
  ["link-local", [v4("169.254.0.0", 16), v6("fe80::", 10)]],
  ["unique local", [v6("fc00::", 7)]],
  ["multicast", [v4("224.0.0.0", 4), v6("ff00::", 8)]],
  ["broadcast", [v4("255.255.255.255", 32)]],
  ["reserved", [
    v4("240.0.0.0", 4),
    v4("192.0.0.0", 24), // IETF protocol assignments
    v4("192.0.2.0", 24), // documentation
    v4("198.51.100.0", 24),
    v4("203.0.113.0", 24),
    v4("198.18.0.0", 15), // benchmarking
    v4("192.88.99.0", 24), // 6to4 relay anycast (deprecated)
    v6("::", 96), // IPv4-compatible (deprecated); `::` and `::1` are named above
    v6("::ffff:0:0:0", 96), // IPv4-translated (SIIT, RFC 2765); embedded IPv4 classes are named above
    v6("64:ff9b:1::", 48), // local-use NAT64
    v6("100::", 64), // discard-only
    v6("2001::", 32), // Teredo
    v6("2001:2::", 48), // benchmarking
    v6("2001:db8::", 32), // documentation
    v6("3fff::", 20), // documentation
    v6("fec0::", 10) // site-local (deprecated)
  ]]
]

const v4Hex = (address: string): string => {
  const [a, b, c, d] = address.split(".").map(Number)
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
}

const buildList = (cidrs: ReadonlyArray<Cidr>): Net.BlockList => {
  const list = new Net.BlockList()
  for (const cidr of cidrs) {
    list.addSubnet(cidr.address, cidr.prefix, cidr.family)
    if (cidr.family === "ipv4") {
      // The same IPv4 range as reached through NAT64 and IPv4-translated addresses (bits 96..127) and 6to4 (bits
      // 16..47).
      const [hi, lo] = v4Hex(cidr.address).split(":")
      list.addSubnet(`64:ff9b::${hi}:${lo}`, 96 + cidr.prefix, "ipv6")
      list.addSubnet(`::ffff:0:${hi}:${lo}`, 96 + cidr.prefix, "ipv6")
      list.addSubnet(`2002:${hi}:${lo}::`, 16 + cidr.prefix, "ipv6")
    }
  }
  return list
}

const blockLists: ReadonlyArray<readonly [AddressClass, Net.BlockList]> = classes.map((
  [name, cidrs]
) => [name, buildList(cidrs)])

const familyOf = (address: string): Family | undefined => {
  const family = Net.isIP(address)
  return family === 4 ? "ipv4" : family === 6 ? "ipv6" : undefined
}

/**
 * The class of a non-public address, or `undefined` for a public one. Anything that is not an IP literal is
 * reported as such (and therefore refused).
 *
 * @internal
 */
export const classify = (address: string): AddressClass | undefined => {
  const family = familyOf(address)
  if (family === undefined) return "not an IP address"
  for (let i = 0; i < blockLists.length; i++) {
    if (blockLists[i][1].check(address, family)) return blockLists[i][0]
  }
  return undefined
}

const prefixPattern = /^\d{1,3}$/

/**
 * Parses `"10.0.0.0/8"`, `"fd00::/8"` or a bare address (a single host). `undefined` when invalid.
 *
 * @internal
 */
export const parseCidr = (input: string): Cidr | undefined => {
  const trimmed = input.trim()
  const slash = trimmed.indexOf("/")
  const address = slash === -1 ? trimmed : trimmed.slice(0, slash)
  const family = familyOf(address)
  if (family === undefined) return undefined
  const max = family === "ipv4" ? 32 : 128
  if (slash === -1) return { address, prefix: max, family }
  const prefixText = trimmed.slice(slash + 1)
  if (!prefixPattern.test(prefixText)) return undefined
  const prefix = Number(prefixText)
  return prefix <= max ? { address, prefix, family } : undefined
}

/**
 * Decides whether the transport may connect to a resolved address: `undefined` = allowed, otherwise the class that
 * refuses it.
 *
 * @internal
 */
export type AddressPolicy = (address: string) => AddressClass | undefined

/**
 * Refuses every non-public address except those inside `allowCidrs` (already validated with `parseCidr`).
 *
 * @internal
 */
export const makePolicy = (allowCidrs: ReadonlyArray<Cidr>): AddressPolicy => {
  if (allowCidrs.length === 0) return classify
  const allowed = new Net.BlockList()
  for (const cidr of allowCidrs) allowed.addSubnet(cidr.address, cidr.prefix, cidr.family)
  return (address) => {
    const family = familyOf(address)
    if (family !== undefined && allowed.check(address, family)) return undefined
    return classify(address)
  }
}
