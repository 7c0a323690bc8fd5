// OTLP/JSON: the proto3 JSON mapping with OTLP's deviations (trace and span
// ids as case-insensitive hex instead of base64; enums as integers; int64 as
// strings or numbers; unknown fields ignored). protobuf-es reads the proto3
// mapping once the ids are turned into base64, and the result is encoded to
// the binary form, so both encodings go through one reader. JSON is the
// convenient encoding, not the fast one.

import { fromJson, toBinary, type JsonValue } from "@bufbuild/protobuf";
import { ExportTraceServiceRequestSchema } from "@traceledger/proto/otlp";
import { DECODE_RECURSION_LIMIT } from "../rpc/transport/decode-recursion-limit.js";
import { shortDecoderMessage } from "../rpc/transport/decoder-message.js";
import type { Rejection } from "./partial-success.js";
import { MalformedOtlp } from "./protobuf-cursor.js";

export interface OtlpJsonRequest {
  /** The binary ExportTraceServiceRequest of the spans kept. */
  readonly bytes: Uint8Array;
  /** Spans taken out for an id that is not hex, to be reported in partial_success. */
  readonly refused: readonly Rejection[];
}

/** The binary ExportTraceServiceRequest of an OTLP/JSON body; throws MalformedOtlp. */
export function otlpJsonToBinary(text: string): OtlpJsonRequest {
  let json: unknown;
  try {
    json = JSON.parse(quoteLongIntegers(text));
  } catch (error) {
    throw new MalformedOtlp(`the body is not JSON: ${shortDecoderMessage((error as Error).message)}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new MalformedOtlp("the body is not a JSON object");
  const refused: Rejection[] = [];
  for (const resourceSpans of list(json, "resourceSpans", "resource_spans")) {
    for (const scopeSpans of list(resourceSpans, "scopeSpans", "scope_spans")) {
      const spans = list(scopeSpans, "spans");
      let kept = 0;
      for (const span of spans) {
        const problem = idProblem(span);
        if (problem) refused.push(problem);
        else spans[kept++] = span;
      }
      spans.length = kept;
    }
  }
  try {
    return { bytes: toBinary(ExportTraceServiceRequestSchema, fromJson(ExportTraceServiceRequestSchema, json as JsonValue, { ignoreUnknownFields: true, recursionLimit: DECODE_RECURSION_LIMIT })), refused };
  } catch (error) {
    throw new MalformedOtlp(`the body is not an OTLP/JSON ExportTraceServiceRequest: ${shortDecoderMessage((error as Error).message)}`);
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
/** Ids as received are quoted in messages; a long one is cut to this many characters. */
const QUOTED_ID_CHARS = 48;

const ID_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ["traceId", "trace_id"],
  ["spanId", "span_id"],
];

/**
 * Turns a span's hex ids (and its links') into base64 for the proto3 reader,
 * or says which of the span's own is not hex. Such a span is refused here, on
 * its own, with the id as it was sent: past this point it would only be bytes.
 * (Hex of the wrong length passes: the store's rules refuse it, quoting the
 * same hex.) A link with an id that is not hex is left out and counted in the
 * span's dropped links, as one whose ids have other lengths is (read-export-request.ts).
 */
function idProblem(span: unknown): Rejection | undefined {
  if (typeof span !== "object" || span === null) return undefined;
  const record = span as Record<string, unknown>;
  const own = fieldOf(record, "spanId", "span_id");
  const spanId = typeof own === "string" ? (HEX.test(own) ? own.toLowerCase() : quoted(own)) : "";
  const checks: Array<[string, string, string, string]> = [
    ["traceId", "trace_id", "INVALID_TRACE_ID", "trace id"],
    ["spanId", "span_id", "INVALID_SPAN_ID", "span id"],
    ["parentSpanId", "parent_span_id", "INVALID_PARENT_SPAN_ID", "parent span id"],
  ];
  for (const [camel, snake, reason, what] of checks) {
    for (const name of [camel, snake]) {
      const value = record[name];
      if (typeof value !== "string" || HEX.test(value)) continue;
      const hint = looksLikeBase64Id(value) ? " (OTLP/JSON writes ids as hex, not base64)" : "";
      return { spanId, error: { reason, message: `${what} "${quoted(value)}" is not hex${hint}` } };
    }
  }
  for (const [camel, snake] of checks) toBase64(record, camel, snake);
  const links = list(span, "links");
  let kept = 0;
  for (const link of links) {
    if (typeof link === "object" && link !== null) {
      const fields = link as Record<string, unknown>;
      if (hasNonHexId(fields)) continue;
      for (const [camel, snake] of ID_FIELDS) toBase64(fields, camel, snake);
    }
    links[kept++] = link;
  }
  if (kept < links.length) {
    countDroppedLinks(record, links.length - kept);
    links.length = kept;
  }
  return undefined;
}

function hasNonHexId(link: Record<string, unknown>): boolean {
  for (const [camel, snake] of ID_FIELDS) {
    for (const name of [camel, snake]) {
      const value = link[name];
      if (typeof value === "string" && !HEX.test(value)) return true;
    }
  }
  return false;
}

function toBase64(holder: Record<string, unknown>, camel: string, snake: string): void {
  for (const name of [camel, snake]) {
    const value = holder[name];
    if (typeof value === "string") holder[name] = Buffer.from(value, "hex").toString("base64");
  }
}

/**
 * Adds links left out to the span's dropped_links_count, a uint32 (at most
 * 2^32 - 1). A count that is not a plain number is left for the reader to refuse.
 */
function countDroppedLinks(span: Record<string, unknown>, leftOut: number): void {
  const name = "droppedLinksCount" in span ? "droppedLinksCount" : "dropped_links_count" in span ? "dropped_links_count" : "droppedLinksCount";
  const sent = span[name];
  const count = sent === undefined || sent === null ? 0 : typeof sent === "number" ? sent : typeof sent === "string" && /^\d+$/.test(sent) ? Number(sent) : NaN;
  if (!Number.isInteger(count) || count < 0 || count > 0xffff_ffff) return;
  span[name] = Math.min(count + leftOut, 0xffff_ffff);
}

/** The proto3 JSON mapping's form of a 16- or 8-byte id: the usual mistake. */
function looksLikeBase64Id(value: string): boolean {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return false;
  const length = Buffer.from(value, "base64").length;
  return length === 16 || length === 8;
}

function fieldOf(record: Record<string, unknown>, camel: string, snake: string): unknown {
  return record[camel] ?? record[snake];
}

function quoted(value: string): string {
  return value.length > QUOTED_ID_CHARS ? `${value.slice(0, QUOTED_ID_CHARS)}...` : value;
}
