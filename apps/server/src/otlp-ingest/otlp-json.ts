// OTLP/JSON: the proto3 JSON mapping with OTLP's deviations (trace and span
// ids as case-insensitive hex instead of base64; enums as integers; int64 as
// strings or numbers; unknown fields ignored). protobuf-es reads the proto3
// mapping once the ids are turned into base64, and the result is encoded to
// the binary form, so both encodings go through one reader. JSON is the
// convenient encoding, not the fast one.

import { fromJson, toBinary, type JsonValue } from "@bufbuild/protobuf";
import { ExportTraceServiceRequestSchema } from "@traceledger/proto/otlp";
import { MalformedOtlp } from "./protobuf-cursor.js";

/** The binary ExportTraceServiceRequest of an OTLP/JSON body; throws MalformedOtlp. */
export function otlpJsonToBinary(text: string): Uint8Array {
  let json: unknown;
  try {
    json = JSON.parse(quoteLongIntegers(text));
  } catch (error) {
    throw new MalformedOtlp(`the body is not JSON: ${(error as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new MalformedOtlp("the body is not a JSON object");
  for (const resourceSpans of list(json, "resourceSpans", "resource_spans")) {
    for (const scopeSpans of list(resourceSpans, "scopeSpans", "scope_spans")) {
      for (const span of list(scopeSpans, "spans")) {
        idsToBase64(span, ["traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id"]);
        for (const link of list(span, "links")) idsToBase64(link, ["traceId", "trace_id", "spanId", "span_id"]);
      }
    }
  }
  try {
    return toBinary(ExportTraceServiceRequestSchema, fromJson(ExportTraceServiceRequestSchema, json as JsonValue, { ignoreUnknownFields: true }));
  } catch (error) {
    throw new MalformedOtlp(`the body is not an OTLP/JSON ExportTraceServiceRequest: ${(error as Error).message}`);
  }
}

/**
 * Puts integers of 16 digits or more, outside strings, in quotes. Nanosecond
 * times as JSON numbers (the proto3 mapping allows them) are past 2^53, and
 * JSON.parse would round them; as strings they reach the int64 reader intact.
 */
function quoteLongIntegers(text: string): string {
  let out = "";
  let copied = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
      continue;
    }
    if (ch === 0x22) {
      inString = true;
      continue;
    }
    if (ch !== 0x2d && (ch < 0x30 || ch > 0x39)) continue;
    let end = i + 1;
    while (end < text.length && isNumberChar(text.charCodeAt(end))) end++;
    const token = text.slice(i, end);
    if (/^-?\d{16,}$/.test(token)) {
      out += `${text.slice(copied, i)}"${token}"`;
      copied = end;
    }
    i = end - 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

function isNumberChar(ch: number): boolean {
  // digits, '.', 'e', 'E', '+', '-'
  return (ch >= 0x30 && ch <= 0x39) || ch === 0x2e || ch === 0x65 || ch === 0x45 || ch === 0x2b || ch === 0x2d;
}

function list(parent: unknown, ...names: string[]): unknown[] {
  if (typeof parent !== "object" || parent === null) return [];
  for (const name of names) {
    const value = (parent as Record<string, unknown>)[name];
    if (Array.isArray(value)) return value;
  }
  return [];
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
/** One zero byte, in base64. */
const NOT_AN_ID = "AA==";

/**
 * Hex ids become base64 for the proto3 reader. An id that is not hex becomes
 * one zero byte, a length no id has: the span is then rejected for that id, on
 * its own, like a span whose binary id has the wrong length. (Not empty: an
 * empty parent span id means "no parent", and would make the span a root.)
 */
function idsToBase64(message: unknown, fields: readonly string[]): void {
  if (typeof message !== "object" || message === null) return;
  const record = message as Record<string, unknown>;
  for (const field of fields) {
    const value = record[field];
    if (typeof value !== "string") continue;
    record[field] = HEX.test(value) ? Buffer.from(value, "hex").toString("base64") : NOT_AN_ID;
  }
}
