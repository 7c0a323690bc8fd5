// Reading traces back from the server in tests: GetTrace by hex id, and spans
// found by name.

import { Code, ConnectError } from "@connectrpc/connect";
import { SpanState, type Span as SpanView, type Trace } from "@traceledger/proto";
import { expect } from "vitest";
import type { TracingClient } from "../../src/client/tracing-client.js";
import { eventually } from "./eventually.js";

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
export const bytes = (hexId: string): Uint8Array => Buffer.from(hexId, "hex");

/** The trace, or undefined while the server does not know it. */
export async function getTrace(client: TracingClient, traceId: string): Promise<Trace | undefined> {
  try {
    return (await client.getTrace({ traceId: bytes(traceId) })).trace;
  } catch (error) {
    if (ConnectError.from(error).code === Code.NotFound) return undefined;
    throw error;
  }
}

export function spanNamed(trace: Trace | undefined, name: string): SpanView {
  const span = trace?.spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span named ${JSON.stringify(name)} in ${trace ? trace.spans.map((s) => s.name).join(", ") : "a missing trace"}`);
  return span;
}

export function attributesOf(span: SpanView): Record<string, unknown> {
  return Object.fromEntries(span.attributes.map((kv) => [kv.key, kv.value?.value.value]));
}

/** The trace once it has `spans` spans, every one ended. */
export function completedTrace(client: TracingClient, traceId: string, spans: number): Promise<Trace> {
  return eventually(async () => {
    const trace = await getTrace(client, traceId);
    expect(trace?.spans).toHaveLength(spans);
    expect(trace!.spans.every((s) => s.state === SpanState.ENDED)).toBe(true);
    return trace!;
  });
}
