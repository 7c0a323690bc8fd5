// tracestate rules from the W3C Trace Context Level 2 specification and the cases
// of its test suite (w3c/trace-context test/test.py, which tests the Level 2 key
// grammar since w3c/trace-context#584): grammar, limits, mutation.

import { describe, expect, it } from "vitest";
import { TraceState } from "./trace-state.js";

function parse(header: string | string[]): TraceState {
  const result = TraceState.parse(header);
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

const LCALPHA = "abcdefghijklmnopqrstuvwxyz";
const KEY_CHARS = `${LCALPHA}0123456789_-*/@`;
const VALUE_CHARS = [
  ...Array.from({ length: 0x2b - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i)),
  ...Array.from({ length: 0x3c - 0x2d + 1 }, (_, i) => String.fromCharCode(0x2d + i)),
  ...Array.from({ length: 0x7e - 0x3e + 1 }, (_, i) => String.fromCharCode(0x3e + i)),
].join("");

describe("TraceState.parse accepts", () => {
  it.each([
    ["one member", "rojo=00f067aa0ba902b7", [["rojo", "00f067aa0ba902b7"]]],
    ["two vendors", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", [["rojo", "00f067aa0ba902b7"], ["congo", "t61rcWkgMzE"]]],
    ["OWS around members", "foo=1 \t , \t bar=2, \t baz=3", [["foo", "1"], ["bar", "2"], ["baz", "3"]]],
    ["a leading space", " foo=1", [["foo", "1"]]],
    ["a leading tab", "\tfoo=1", [["foo", "1"]]],
    ["a trailing space", "foo=1 ", [["foo", "1"]]],
    ["empty and whitespace-only members", "foo=1,, ,\t,bar=2", [["foo", "1"], ["bar", "2"]]],
    ["a leading space inside a value (kept)", "foo= bar", [["foo", " bar"]]],
    ["a multi-tenant key", "fw529a3039@dt=FW4;0;0;0;0;0;0;0,rojo=1", [["fw529a3039@dt", "FW4;0;0;0;0;0;0;0"], ["rojo", "1"]]],
    ["a tenant id starting with a digit", "1tenant@vendor=x", [["1tenant@vendor", "x"]]],
    ["a simple key of 256 characters", `${"z".repeat(256)}=1`, [["z".repeat(256), "1"]]],
    ["a tenant of 241 and a system of 14 characters", `${"t".repeat(241)}@${"v".repeat(14)}=1`, [[`${"t".repeat(241)}@${"v".repeat(14)}`, "1"]]],
    ["every allowed key character", `${KEY_CHARS}=1`, [[KEY_CHARS, "1"]]],
    ["every allowed value character", `foo=${VALUE_CHARS}`, [["foo", VALUE_CHARS]]],
    ["a value of 256 characters", `foo=${"v".repeat(256)}`, [["foo", "v".repeat(256)]]],
    ["an empty header", "", []],
  ])("%s", (_, header, members) => {
    const state = parse(header);
    expect(state.keys()).toEqual(members.map(([k]) => k));
    for (const [k, v] of members) expect(state.get(k!)).toBe(v);
  });

  it("combines several header lines in order, skipping empty ones", () => {
    const state = parse(["foo=1,bar=2", "", "rojo=1,congo=2", "baz=3"]);
    expect(state.serialize()).toBe("foo=1,bar=2,rojo=1,congo=2,baz=3");
  });

  // Level 2 keys that Level 1's simple-key / multi-tenant-key grammar refused.
  it.each([
    ["a key starting with a digit, without '@'", "1vendor=x,rojo=00f067aa0ba902b7", [["1vendor", "x"], ["rojo", "00f067aa0ba902b7"]]],
    ["a key of digits only", "42=x", [["42", "x"]]],
    ["a key ending in '@'", "foo@=1,bar=2", [["foo@", "1"], ["bar", "2"]]],
    ["a double '@'", "foo@@bar=1,bar=2", [["foo@@bar", "1"], ["bar", "2"]]],
    ["two '@'", "foo@bar@baz=1,bar=2", [["foo@bar@baz", "1"], ["bar", "2"]]],
    ["a digit after '@'", "foo@1bar=1", [["foo@1bar", "1"]]],
    ["242 characters before '@' (256 in all)", `foo=1,${"t".repeat(242)}@${"v".repeat(13)}=1`, [["foo", "1"], [`${"t".repeat(242)}@${"v".repeat(13)}`, "1"]]],
    ["15 characters after '@'", `foo=1,t@${"v".repeat(15)}=1`, [["foo", "1"], [`t@${"v".repeat(15)}`, "1"]]],
  ])("Level 2: %s", (_, header, members) => {
    const state = parse(header);
    expect(state.keys()).toEqual(members.map(([k]) => k));
    for (const [k, v] of members) expect(state.get(k!)).toBe(v);
  });

  it("accepts exactly 32 members across header lines", () => {
    const lines = [0, 1, 2, 3].map((l) => Array.from({ length: 8 }, (_, i) => `bar${String(l * 8 + i + 1).padStart(2, "0")}=${l}`).join(","));
    expect(parse(lines).size).toBe(32);
  });
});

describe("TraceState.parse discards the whole header for", () => {
  it.each([
    ["a key with a space before '='", "foo =1"],
    ["an uppercase key", "FOO=1"],
    ["a '.' in a key", "foo.bar=1"],
    ["a key starting with '@'", "@foo=1,bar=2"],
    ["a key starting with '_'", "_foo=1"],
    ["an uppercase letter after '@'", "foo@Bar=1"],
    ["a key of 257 characters", `foo=1,${"z".repeat(257)}=1`],
    ["a key with '@' of 257 characters", `foo=1,${"t".repeat(242)}@${"v".repeat(14)}=1`],
    ["'=' inside a value", "foo=bar=baz"],
    ["an empty value", "foo=,bar=3"],
    ["a value of only spaces", "foo=   "],
    ["a ',' can not be escaped into a value", "foo=a\\,b"],
    ["a tab inside a value", "foo=a\tb"],
    ["a non-ASCII value", "foo=caf\u00e9"],
    ["a value of 257 characters", `foo=${"v".repeat(257)}`],
    ["a member without '='", "foo"],
    ["a duplicated key", "foo=1,foo=1"],
    ["a duplicated key with other values", "foo=1,foo=2"],
    ["a key duplicated across header lines", ["foo=1", "foo=2"]],
    ["33 members", Array.from({ length: 33 }, (_, i) => `bar${i}=${i}`).join(",")],
  ])("%s", (_, header) => {
    expect(TraceState.parse(header).ok).toBe(false);
  });
});

describe("TraceState mutation", () => {
  const base = parse("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");

  it("inserts a new key at the front", () => {
    expect(base.set("abc", "1").serialize()).toBe("abc=1,congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  });

  it("updates a key and moves it to the front, keeping the others' order", () => {
    expect(base.set("rojo", "b9c7c989f97918e1").serialize()).toBe("rojo=b9c7c989f97918e1,congo=t61rcWkgMzE");
  });

  it("deletes a key", () => {
    expect(base.delete("congo").serialize()).toBe("rojo=00f067aa0ba902b7");
    expect(base.delete("absent")).toBe(base);
  });

  it("is immutable", () => {
    base.set("x", "1");
    expect(base.serialize()).toBe("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  });

  it("drops the last member when an insert would make 33", () => {
    const full = parse(Array.from({ length: 32 }, (_, i) => `k${i}=${i}`).join(","));
    const next = full.set("new", "x");
    expect(next.size).toBe(32);
    expect(next.keys()[0]).toBe("new");
    expect(next.get("k31")).toBeUndefined();
  });

  it("sets a Level 2 key", () => {
    expect(base.set("1vendor@sys@x", "1").keys()[0]).toBe("1vendor@sys@x");
  });

  it("refuses invalid keys and values", () => {
    expect(() => base.set("Bad", "1")).toThrow(TypeError);
    expect(() => base.set("@sys", "1")).toThrow(TypeError);
    expect(() => base.set("k".repeat(257), "1")).toThrow(TypeError);
    expect(() => base.set("ok", "a=b")).toThrow(TypeError);
    expect(() => base.set("ok", "")).toThrow(TypeError);
  });
});

describe("TraceState.serialize keeps within 512 characters", () => {
  it("keeps a list that fits unchanged", () => {
    const header = Array.from({ length: 32 }, (_, i) => `key${String(i).padStart(2, "0")}=${"v".repeat(9)}`).join(","); // 32 * 15 + 31 = 511
    expect(header.length).toBeLessThanOrEqual(512);
    expect(parse(header).serialize()).toBe(header);
  });

  it("drops whole entries from the end until the list fits", () => {
    // 20 members of 30 characters: 20 * 30 + 19 = 619.
    const members = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, "0")}=${"v".repeat(26)}`);
    const out = parse(members.join(",")).serialize();
    expect(out.length).toBeLessThanOrEqual(512);
    expect(out).toBe(members.slice(0, 16).join(","));
  });

  it("drops entries longer than 128 characters first", () => {
    const big = `big=${"b".repeat(200)}`;
    const members = [big, ...Array.from({ length: 12 }, (_, i) => `k${String(i).padStart(2, "0")}=${"v".repeat(26)}`)];
    const out = parse(members.join(",")).serialize();
    expect(out).toBe(members.slice(1).join(","));
  });

  it("honours a smaller limit", () => {
    expect(parse("a=1,b=2,c=3").serialize(7)).toBe("a=1,b=2");
  });
});
