// Short digests of what a retried request must repeat, kept per accepted request
// id in the trace state: a few bytes each, where the content itself would keep
// every attribute of every accepted request alive in the cached states.

import type { AnyValue, KeyValue } from "@traceledger/proto";
import { bytesToHex } from "./w3c-ids.js";

/** FNV-1a (32 bits) as hex. A digest tells a retry from a reuse of its id, not one input from all others. */
export function textDigest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

/** The attributes' keys and values, in order. */
export function attributesDigest(attributes: readonly KeyValue[]): string {
  let text = "";
  for (const kv of attributes) text += `${kv.key}\u0001${valueText(kv.value)}\u0002`;
  return textDigest(text);
}

function valueText(value: AnyValue | undefined): string {
  const v = value?.value;
  switch (v?.case) {
    case "stringValue":
      return `s${v.value}`;
    case "boolValue":
      return `b${v.value ? 1 : 0}`;
    case "intValue":
      return `i${v.value}`;
    case "doubleValue":
      return `d${v.value}`;
    case "bytesValue":
      return `x${bytesToHex(v.value)}`;
    case "arrayValue":
      return `[${v.value.values.map(valueText).join("\u0003")}]`;
    case "kvlistValue":
      return `{${v.value.values.map((kv) => `${kv.key}\u0001${valueText(kv.value)}`).join("\u0003")}}`;
    default:
      return "";
  }
}
