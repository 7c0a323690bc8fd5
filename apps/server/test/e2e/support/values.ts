// Small builders for request values, in the generated client's shapes.

import type { KeyValue } from "@traceledger/proto";

type KeyValueInit = Omit<KeyValue, "$typeName" | "value"> & { value: { value: { case: "stringValue"; value: string } | { case: "intValue"; value: bigint } } };

export const text = (key: string, value: string): KeyValueInit => ({ key, value: { value: { case: "stringValue", value } } });

export const int = (key: string, value: number): KeyValueInit => ({ key, value: { value: { case: "intValue", value: BigInt(value) } } });

/** The event type names of envelopes, without the package ("SpanStarted"). */
export const shortType = (type: string): string => type.replace(/^traceledger\.v1\./, "");
