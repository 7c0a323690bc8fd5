// W3C Baggage: the grammar, percent-encoding, properties and limits, with the
// cases of the W3C baggage test suite (w3c/baggage test/baggage).

import { describe, expect, it } from "vitest";
import { Baggage, BAGGAGE_MAX_BYTES, BAGGAGE_MAX_MEMBERS } from "./baggage.js";

describe("Baggage.parse", () => {
  it("reads simple and multiple members", () => {
    const baggage = Baggage.parse("SomeKey=SomeValue,SomeKey2=SomeValue2");
    expect(baggage.keys()).toEqual(["SomeKey", "SomeKey2"]);
    expect(baggage.getValue("SomeKey2")).toBe("SomeValue2");
  });

  it("trims OWS around keys, values and properties", () => {
    const baggage = Baggage.parse("SomeKey \t = \t SomeValue \t ; \t SomePropKey \t = \t SomePropValue \t , \t SomeKey2 \t = \t SomeValue2 \t ; \t SomeProp2");
    expect(baggage.get("SomeKey")).toEqual({ value: "SomeValue", properties: [{ key: "SomePropKey", value: "SomePropValue" }] });
    expect(baggage.get("SomeKey2")).toEqual({ value: "SomeValue2", properties: [{ key: "SomeProp2" }] });
  });

  it("keeps '=' inside a value", () => {
    expect(Baggage.parse("SomeKey=SomeValue=equals").getValue("SomeKey")).toBe("SomeValue=equals");
  });

  it("percent-decodes values", () => {
    const value = "\t \"';=asdf!@#$%^&*()";
    expect(Baggage.parse(`SomeKey=${encodeURIComponent(value)}`).getValue("SomeKey")).toBe(value);
    expect(Baggage.parse("serverNode=DF%2028").getValue("serverNode")).toBe("DF 28");
    expect(Baggage.parse("k=caf%C3%A9").getValue("k")).toBe("caf\u00e9");
  });

  it("decodes a sequence that is not UTF-8 to U+FFFD, keeping the member", () => {
    const baggage = Baggage.parse("k=%FF,latin1=caf%E9,a=1");
    expect([baggage.getValue("k"), baggage.getValue("latin1"), baggage.getValue("a")]).toEqual(["\uFFFD", "caf\uFFFD", "1"]);
  });

  it("counts the bytes as received, not as it would encode them", () => {
    // "/" is a baggage-octet: 3,002 bytes as sent, though an encoder may write it as 3 bytes each.
    expect(Baggage.parse(`k=${"/".repeat(3000)}`).getValue("k")).toHaveLength(3000);
    expect(Baggage.parse(`a=${"/".repeat(2000)},b=${"/".repeat(2000)}`).keys()).toEqual(["a", "b"]);
  });

  it("counts a repeated key at its last size", () => {
    const header = [`k=1`, `k=${"x".repeat(8000)}`, ...Array.from({ length: 5 }, (_, i) => `m${i}=${"y".repeat(100)}`)].join(",");
    const baggage = Baggage.parse(header);
    // 8,002 bytes for k: only one 103-byte member more fits in 8,192.
    expect(baggage.keys()).toEqual(["k", "m0"]);
    expect(baggage.serialize()).toBe(`k=${"x".repeat(8000)},m0=${"y".repeat(100)}`);
  });

  it("combines header lines", () => {
    const baggage = Baggage.parse(["userId=alice", "serverNode=DF%2028,isProduction=false"]);
    expect(baggage.keys()).toEqual(["userId", "serverNode", "isProduction"]);
  });

  it("drops only the members that break the grammar", () => {
    const baggage = Baggage.parse("good=1,bad key=2,nokv,q=\"quoted\",bad=%ZZ,semi=1;bad prop,also=ok");
    expect(baggage.keys()).toEqual(["good", "also"]);
  });

  it("keeps the last value of a repeated key", () => {
    expect(Baggage.parse("k=1,k=2").getValue("k")).toBe("2");
  });

  it(`keeps at most ${BAGGAGE_MAX_MEMBERS} members`, () => {
    const header = Array.from({ length: 70 }, (_, i) => `k${i}=v`).join(",");
    const baggage = Baggage.parse(header);
    expect(baggage.size).toBe(64);
    expect(baggage.getValue("k63")).toBe("v");
    expect(baggage.getValue("k64")).toBeUndefined();
  });

  it(`keeps at most ${BAGGAGE_MAX_BYTES} bytes, whole members only`, () => {
    const header = Array.from({ length: 10 }, (_, i) => `k${i}=${"x".repeat(1000)}`).join(",");
    const baggage = Baggage.parse(header);
    expect(baggage.size).toBe(8); // 8 * 1003 + 7 commas = 8031; a ninth would pass 8192
    expect(baggage.serialize().length).toBeLessThanOrEqual(8192);
  });
});

describe("Baggage.serialize", () => {
  it("percent-encodes values so the header stays within baggage-octets", () => {
    const value = "\t \"';=asdf!@#$%^&*()";
    const out = Baggage.EMPTY.set("SomeKey", value).serialize();
    expect(out).toMatch(/^SomeKey=[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/);
    expect(Baggage.parse(out).getValue("SomeKey")).toBe(value);
  });

  it("encodes only what must be: non-baggage-octets, '%' and '='; a lone surrogate goes as U+FFFD instead of throwing", () => {
    expect(Baggage.EMPTY.set("k", "a/b:c@d?e").serialize()).toBe("k=a/b:c@d?e");
    expect(Baggage.EMPTY.set("k", "100%=x,y;z").serialize()).toBe("k=100%25%3Dx%2Cy%3Bz");
    expect(Baggage.EMPTY.set("k", "caf\u00e9").serialize()).toBe("k=caf%C3%A9");
    expect(Baggage.EMPTY.set("k", "\uD800").serialize()).toBe("k=%EF%BF%BD");
  });

  it("leaves out a member that does not fit and still sends the ones after it", () => {
    expect(Baggage.EMPTY.set("big", "x".repeat(9000)).set("small", "1").serialize()).toBe("small=1");
  });

  it("writes properties", () => {
    const out = Baggage.EMPTY.set("key1", "value1", [{ key: "property1" }, { key: "p2", value: "a b" }]).serialize();
    expect(out).toBe("key1=value1;property1;p2=a%20b");
  });

  it("drops whole members from the end beyond 64 members or 8192 bytes", () => {
    let many = Baggage.EMPTY;
    for (let i = 0; i < 100; i++) many = many.set(`k${i}`, "v");
    expect(many.serialize().split(",")).toHaveLength(64);
    let big = Baggage.EMPTY;
    for (let i = 0; i < 10; i++) big = big.set(`k${i}`, "x".repeat(1000));
    const out = big.serialize();
    expect(out.length).toBeLessThanOrEqual(8192);
    expect(out.split(",")).toHaveLength(8);
  });

  it("refuses keys that are not tokens", () => {
    expect(() => Baggage.EMPTY.set("bad key", "v")).toThrow(TypeError);
    expect(() => Baggage.EMPTY.set("k", "v", [{ key: "bad;prop" }])).toThrow(TypeError);
  });

  it("deletes members", () => {
    const b = Baggage.parse("a=1,b=2");
    expect(b.delete("a").serialize()).toBe("b=2");
    expect(b.delete("zzz")).toBe(b);
  });
});
