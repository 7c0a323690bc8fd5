// Page tokens of ListTraces, ListActiveSpans, ListAlerts and GetTraceEvents: the
// last row's sort key and a hash of the request's other fields, so a token cannot
// continue a listing with other filters (or another trace's events).

import { createHash } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { ListTracesRequestSchema, type ListTracesRequest } from "@traceledger/proto";
import { MAX_INT64 } from "../event-store/rules.js";
import type { TraceListKey } from "../projections/trace-listing.js";
import { invalidArgument } from "./rpc-error.js";
import { MAX_STREAM_VERSION } from "./stream-version.js";

interface ActiveSpanKey {
  readonly startTime: bigint;
  readonly traceId: string;
  readonly spanId: string;
}

export function filterHash(...filters: ReadonlyArray<string | number | bigint>): string {
  return createHash("sha256").update(filters.map(String).join("\u0000")).digest("base64url").slice(0, 12);
}

/** ListTraces' filter hash: over the whole request, its page fields cleared. */
export function traceListHash(request: ListTracesRequest): string {
  const filters = create(ListTracesRequestSchema, { ...request, pageSize: 0, pageToken: "" });
  return createHash("sha256").update(toBinary(ListTracesRequestSchema, filters)).digest("base64url").slice(0, 12);
}

export function traceListToken(key: TraceListKey, hash: string): string {
  return Buffer.from(`v2:${key.listedAt}:${key.traceId}:${hash}`).toString("base64url");
}

/**
 * v2 carries the listing key. v1 (before the listing key existed) carried start_time,
 * which is the listing key of every trace whose start never moved: read the same way,
 * so a listing paged across an upgrade goes on.
 */
export function readTraceListToken(token: string, hash: string): TraceListKey {
  const match = /^v[12]:(\d+):([0-9a-f]{32}):([\w-]+)$/.exec(Buffer.from(token, "base64url").toString());
  checkHash(token, match?.[3], hash);
  // A key past int8 no trace has (the hash alone anyone can compute).
  const listedAt = BigInt(match![1]!);
  if (listedAt > MAX_INT64) throw notIssued(token);
  return { listedAt, traceId: match![2]! };
}

export function activeSpanToken(key: ActiveSpanKey, hash: string): string {
  return Buffer.from(`s1:${key.startTime}:${key.traceId}:${key.spanId}:${hash}`).toString("base64url");
}

export function readActiveSpanToken(token: string, hash: string): ActiveSpanKey {
  const match = /^s1:(\d+):([0-9a-f]{32}):([0-9a-f]{16}):([\w-]+)$/.exec(Buffer.from(token, "base64url").toString());
  checkHash(token, match?.[4], hash);
  return { startTime: BigInt(match![1]!), traceId: match![2]!, spanId: match![3]! };
}

export function eventsToken(version: number, hash: string): string {
  return Buffer.from(`e1:${version}:${hash}`).toString("base64url");
}

/** The version of the last event of the previous page. */
export function readEventsToken(token: string, hash: string): number {
  // The previous release's tokens (a bare version) still continue a listing paged across an upgrade.
  const previous = /^v1:(\d+)$/.exec(Buffer.from(token, "base64url").toString());
  if (previous && BigInt(previous[1]!) <= MAX_STREAM_VERSION) return Number(previous[1]);
  return readVersionToken("e1", token, hash);
}

/** Where a ListAlerts listing stands: the last alert's raised version, and the listing's as_of_version. */
export interface AlertPlace {
  readonly raisedVersion: number;
  /** Undefined for a token of the previous release, which did not carry it. */
  readonly asOfVersion: bigint | undefined;
}

export function alertToken(place: { readonly raisedVersion: number; readonly asOfVersion: bigint }, hash: string): string {
  return Buffer.from(`a2:${place.raisedVersion}:${place.asOfVersion}:${hash}`).toString("base64url");
}

/** The raised version of the last alert of the previous page, and the listing's as_of_version. */
export function readAlertToken(token: string, hash: string): AlertPlace {
  const match = /^a2:(\d+):(\d+):([\w-]+)$/.exec(Buffer.from(token, "base64url").toString());
  // The previous release's tokens (no as_of_version) still continue a listing paged across an upgrade.
  if (!match) return { raisedVersion: readVersionToken("a1", token, hash), asOfVersion: undefined };
  checkHash(token, match[3], hash);
  return { raisedVersion: Number(versionIn(token, match[1]!)), asOfVersion: versionIn(token, match[2]!) };
}

function readVersionToken(kind: string, token: string, hash: string): number {
  const match = /^(\w+):(\d+):([\w-]+)$/.exec(Buffer.from(token, "base64url").toString());
  checkHash(token, match?.[1] === kind ? match[3] : undefined, hash);
  return Number(versionIn(token, match![2]!));
}

/** A version a token carries: one no stream reaches was not issued here (the hash alone anyone can compute). */
function versionIn(token: string, digits: string): bigint {
  const version = BigInt(digits);
  if (version > MAX_STREAM_VERSION) throw notIssued(token);
  return version;
}

function notIssued(token: string) {
  return invalidArgument("INVALID_PAGE_TOKEN", "page_token is not a token this server issued", { page_token: token });
}

function checkHash(token: string, found: string | undefined, hash: string): void {
  if (found === undefined) throw notIssued(token);
  if (found !== hash) {
    throw invalidArgument("INVALID_PAGE_TOKEN", "page_token belongs to a listing with other filters; send the same filters or start over", { page_token: token });
  }
}
