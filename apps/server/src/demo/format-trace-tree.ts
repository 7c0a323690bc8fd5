// A trace as an indented tree, one span per line with its service, duration,
// state and status: what a person reads first.

import { SpanState, StatusCode, TraceState, type Span, type Trace } from "@traceledger/proto";
import { bytesToHex } from "../domain/trace/w3c-ids.js";

export function formatTraceTree(trace: Trace): string {
  const byParent = new Map<string, Span[]>();
  const ids = new Set(trace.spans.map((s) => bytesToHex(s.spanId)));
  const roots: Span[] = [];
  for (const span of trace.spans) {
    const parent = bytesToHex(span.parentSpanId);
    if (parent === "" || !ids.has(parent)) roots.push(span);
    else byParent.set(parent, [...(byParent.get(parent) ?? []), span]);
  }
  const lines = [
    `trace ${bytesToHex(trace.traceId)}  ${TraceState[trace.state]?.toLowerCase() ?? "?"}  ${millis(trace.durationNano)}  ` +
      `${trace.spanCount} spans, ${trace.errorCount} with errors, ${trace.runningSpanCount} running  (version ${trace.version})`,
  ];
  const walk = (span: Span, prefix: string, last: boolean) => {
    const status = span.status?.code === StatusCode.ERROR ? `ERROR${span.status.message ? ` "${span.status.message}"` : ""}` : span.status?.code === StatusCode.OK ? "OK" : "UNSET";
    const state = span.state === SpanState.RUNNING ? "running" : span.state === SpanState.ORPHANED ? "orphaned" : "ended";
    const notes = [...span.events.map((e) => `event ${e.name}`), ...span.errors.map((e) => `error ${e.errorType}: ${e.message}`)];
    lines.push(`${prefix}${last ? "└─ " : "├─ "}${span.name}  [${span.serviceName}]  ${millis(span.durationNano)}  ${state}  ${status}${notes.length ? `  (${notes.join("; ")})` : ""}`);
    const children = byParent.get(bytesToHex(span.spanId)) ?? [];
    children.forEach((child, i) => walk(child, prefix + (last ? "   " : "│  "), i === children.length - 1));
  };
  roots.forEach((root, i) => walk(root, "", i === roots.length - 1));
  return lines.join("\n");
}

function millis(nanos: bigint): string {
  return `${(Number(nanos) / 1e6).toFixed(1)} ms`;
}
