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

/**
 * The attributes' keys and values, in order. Each text is written with its length first, so
 * that no two lists write the same text (["a", "b"] and ["a<sep>b"] did with separators alone).
 */
export function attributesDigest(attributes: readonly KeyValue[]): string {
  let text = "";
  for (const kv of attributes) text += `${sized(kv.key)}${valueText(kv.value)}`;
  return textDigest(text);
}

function sized(text: string): string {
  return `${text.length}:${text}`;
}

function valueText(value: AnyValue | undefined): string {
  const v = value?.value;
  switch (v?.case) {
    case "stringValue":
      return `s${sized(v.value)}`;
    case "boolValue":
      return `b${v.value ? 1 : 0}`;
    case "intValue":
      return `i${v.value};`;
    case "doubleValue":
      // String(-0) is "0": the two are different values to send again.
      return `d${Object.is(v.value, -0) ? "-0" : v.value};`;
    case "bytesValue":
      return `x${sized(bytesToHex(v.value))}`;
    case "arrayValue":
      return `[${v.value.values.length}:${v.value.values.map(valueText).join("")}`;
    case "kvlistValue":
      return `{${v.value.values.length}:${v.value.values.map((kv) => `${sized(kv.key)}${valueText(kv.value)}`).join("")}`;
    default:
      return "-";
  }
}
