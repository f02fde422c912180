import { describe, expect, it } from "@effect/vitest"
import * as IpRange from "../src/internal/ipRange.js"

describe("ipRange.classify", () => {
  const cases: ReadonlyArray<readonly [string, IpRange.AddressClass | undefined]> = [
    // IPv4
    ["0.0.0.0", "unspecified"],
    ["0.255.255.255", "unspecified"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.15.255.255", undefined],
    ["172.32.0.0", undefined],
    ["192.168.1.1", "private"],
    ["192.169.0.1", undefined],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["100.63.255.255", undefined],
    ["100.128.0.0", undefined],
    ["169.254.169.254", "link-local"],
    ["169.254.0.1", "link-local"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.255", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.254", "reserved"],
    ["255.255.255.255", "broadcast"],
    ["192.0.2.10", "reserved"],
    ["198.18.0.1", "reserved"],
    ["8.8.8.8", undefined],
    ["1.1.1.1", undefined],
    ["93.184.216.34", undefined],
    // IPv6
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["fc00::1", "unique local"],
    ["fd12:3456:789a::1", "unique local"],
    ["fe80::1", "link-local"],
    ["febf::1", "link-local"],
    ["fec0::1", "reserved"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "reserved"],
    ["2001::1", "reserved"],
    ["::7f00:1", "reserved"],
    ["2606:4700:4700::1111", undefined],
    ["2a00:1450:4001:82a::200e", undefined],
    // IPv4-mapped: the embedded IPv4 address decides
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.1.2.3", "private"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:8.8.8.8", undefined],
    // NAT64 and 6to4 embed an IPv4 address too
    ["64:ff9b::7f00:1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["64:ff9b::808:808", undefined],
    ["64:ff9b:1::1", "reserved"],
    ["2002:7f00:1::1", "loopback"],
    ["2002:c0a8:101::1", "private"],
    ["2002:808:808::1", undefined],
    // IPv4-translated (SIIT, ::ffff:0:0:0/96): the embedded class, and never public
    ["::ffff:0:7f00:1", "loopback"],
    ["::ffff:0:127.0.0.1", "loopback"],
    ["::ffff:0:a9fe:a9fe", "link-local"],
    ["::ffff:0:c0a8:101", "private"],
    ["::ffff:0:808:808", "reserved"],
    // not an address at all
    ["localhost", "not an IP address"],
    ["", "not an IP address"]
  ]
  for (const [address, expected] of cases) {
    it(`${address || "(empty)"} → ${expected ?? "public"}`, () => {
      expect(IpRange.classify(address)).toBe(expected)
    })
  }
})

describe("ipRange.parseCidr", () => {
  it("parses IPv4 and IPv6 ranges and bare addresses", () => {
    expect(IpRange.parseCidr("10.0.0.0/8")).toEqual({ address: "10.0.0.0", prefix: 8, family: "ipv4" })
    expect(IpRange.parseCidr(" 127.0.0.1 ")).toEqual({ address: "127.0.0.1", prefix: 32, family: "ipv4" })
    expect(IpRange.parseCidr("fd00::/8")).toEqual({ address: "fd00::", prefix: 8, family: "ipv6" })
    expect(IpRange.parseCidr("::1")).toEqual({ address: "::1", prefix: 128, family: "ipv6" })
    expect(IpRange.parseCidr("0.0.0.0/0")).toEqual({ address: "0.0.0.0", prefix: 0, family: "ipv4" })
  })

  it("rejects what is not a range", () => {
    for (
      const input of [
        "",
        "foo",
        "10.0.0.0/",
        "10.0.0.0/33",
        "::/129",
        "1.2.3.4/-1",
        "1.2.3.4/8/8",
        "1.2.3/8",
        "1.2.3.4/a",
        "10.0.0.256/8",
        "1.2.3.4/0008"
      ]
    ) {
      expect(IpRange.parseCidr(input), input).toBeUndefined()
    }
  })
})

describe("ipRange.makePolicy", () => {
  it("without an allow-list is classify", () => {
    const policy = IpRange.makePolicy([])
    expect(policy("127.0.0.1")).toBe("loopback")
    expect(policy("8.8.8.8")).toBeUndefined()
  })

  it("lets exactly the listed ranges through", () => {
    const policy = IpRange.makePolicy(
      ["127.0.0.1/32", "10.1.0.0/16", "fd00::/16"].map((text) => IpRange.parseCidr(text)!)
    )
    expect(policy("127.0.0.1")).toBeUndefined()
    expect(policy("::ffff:127.0.0.1")).toBeUndefined()
    expect(policy("127.0.0.2")).toBe("loopback")
    expect(policy("::1")).toBe("loopback")
    expect(policy("10.1.255.255")).toBeUndefined()
    expect(policy("10.2.0.1")).toBe("private")
    expect(policy("fd00:1::1")).toBeUndefined()
    expect(policy("fd01::1")).toBe("unique local")
    expect(policy("169.254.169.254")).toBe("link-local")
    expect(policy("8.8.8.8")).toBeUndefined()
  })
})
