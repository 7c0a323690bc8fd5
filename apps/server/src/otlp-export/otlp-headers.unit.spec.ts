import { describe, expect, it } from "vitest";
import { OtlpHeadersError, parseOtlpHeaders } from "./otlp-headers.js";

describe("parseOtlpHeaders (OTEL_EXPORTER_OTLP_HEADERS format)", () => {
  it("reads comma-separated key=value pairs, trimming whitespace around each part", () => {
    expect(parseOtlpHeaders(" api-key = secret , x-tenant=acme ")).toEqual({ "api-key": "secret", "x-tenant": "acme" });
  });

  it("percent-decodes values, as the specification requires", () => {
    expect(parseOtlpHeaders("authorization=Bearer%20abc%3D%3D,x-note=a%2C%20ok%21")).toEqual({ authorization: "Bearer abc==", "x-note": "a, ok!" });
  });

  it("keeps '=' after the first one in the value, and ';' too (no baggage properties)", () => {
    expect(parseOtlpHeaders("k=a=b;c")).toEqual({ k: "a=b;c" });
  });

  it("ignores empty entries and takes the last value of a repeated key, whatever its letter case", () => {
    expect(parseOtlpHeaders(",a=1,,a=2,")).toEqual({ a: "2" });
    expect(parseOtlpHeaders("X-Key=1,x-key=2")).toEqual({ "x-key": "2" });
    expect(parseOtlpHeaders("")).toEqual({});
  });

  it("allows an empty value", () => {
    expect(parseOtlpHeaders("x-empty=")).toEqual({ "x-empty": "" });
  });

  it("names every bad pair, not only the first", () => {
    expect(() => parseOtlpHeaders("a=b%ZZ,ok=1,=x")).toThrow('the value of a has a malformed percent-encoding; entry 3 has no valid header name before "="');
  });

  it.each([
    ["Authorization: Bearer tok_SECRET123", 'entry 1 ("Authorization") is not key=value (write Authorization=value'],
    ["x=1,Authorization Bearer tok_SECRET123", 'entry 2 ("Authorization") is not key=value'],
    ["authorization=Bearer%20tok_A,tok_SECRET123", "entry 2 is not key=value"],
    ["tok_SECRET123", "entry 1 is not key=value"],
    ["Authorization: Bearer tok_SECRET123=", 'entry 1 ("Authorization") has no valid header name before "="'],
    ["Authorization: tok_SECRET123%ZZ=1", 'entry 1 ("Authorization") has no valid header name before "="'],
  ])("names a bad entry by its position and what looks like its name, never its value (%j)", (text, message) => {
    let thrown: unknown;
    try {
      parseOtlpHeaders(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OtlpHeadersError);
    expect((thrown as Error).message).toContain(message);
    expect((thrown as Error).message).not.toMatch(/SECRET|tok_A|Bearer/);
  });

  it.each([
    ["no-equals-sign", /is not key=value/],
    ["=value", /no valid header name before "="/],
    ["bad key=1", /no valid header name before "="/],
    ["k=%E0%A4%A", /malformed percent-encoding/],
    ["k=a%0D%0Ab", /printable ASCII/],
    ["k=a%09b", /printable ASCII/],
    ["k=caf%C3%A9", /printable ASCII/],
    ["k=%E2%82%AC", /printable ASCII/],
  ])("refuses %j", (text, message) => {
    expect(() => parseOtlpHeaders(text)).toThrow(OtlpHeadersError);
    expect(() => parseOtlpHeaders(text)).toThrow(message);
  });
});
