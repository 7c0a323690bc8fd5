import { describe, expect, it } from "vitest";
import { firstForwarded, forwardedForAddress } from "./forwarded-header.js";

describe("firstForwarded (RFC 7239)", () => {
  it.each([
    ["for=192.0.2.60;proto=http;by=203.0.113.43", { for: "192.0.2.60", proto: "http" }],
    ['For="[2001:db8:cafe::17]:4711"; Proto=HTTPS; Host="shop.example:8443", for=198.51.100.17', { for: "[2001:db8:cafe::17]:4711", proto: "https", host: "shop.example:8443" }],
    ["host=shop.example:8443", { host: "shop.example:8443" }],
    ['for="a \\"quoted\\" name"', { for: 'a "quoted" name' }],
    ["for=_hidden, for=192.0.2.1", { for: "_hidden" }],
  ])("%s", (header, expected) => {
    expect(firstForwarded(header)).toEqual(expected);
  });

  it.each([["for"], ["for=1.2.3.4;for=5.6.7.8"], ['for="unterminated'], ["for=1.2.3.4 host=x"], ["=x"]])("gives nothing for the malformed %s", (header) => {
    expect(firstForwarded(header)).toEqual({});
  });
});

describe("forwardedForAddress", () => {
  it.each([
    ["192.0.2.60", "192.0.2.60"],
    ["192.0.2.60:4711", "192.0.2.60"],
    ["[2001:db8:cafe::17]:4711", "2001:db8:cafe::17"],
    ["[2001:db8:cafe::17]", "2001:db8:cafe::17"],
    ["2001:db8::1", "2001:db8::1"],
    ["unknown", undefined],
    ["_hidden", undefined],
  ])("%s -> %s", (value, address) => {
    expect(forwardedForAddress(value)).toBe(address);
  });
});
