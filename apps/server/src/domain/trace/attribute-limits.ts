// OpenTelemetry-style attribute limits. Nothing is cut silently: every drop
// and every shortened value is counted, and the counts are stored on the event.

import { create } from "@bufbuild/protobuf";
import { AnyValueSchema, KeyValueSchema, type AnyValue, type KeyValue } from "@traceledger/proto";

export interface AttributeLimits {
  /** The most distinct attribute keys a span (or an event, error or link) may hold. OTel default 128. */
  readonly countLimit: number;
  /** The most characters (strings) or bytes (bytes values) one value may hold; Infinity for none. */
  readonly valueLengthLimit: number;
}

export const DEFAULT_ATTRIBUTE_LIMITS: AttributeLimits = { countLimit: 128, valueLengthLimit: Infinity };

export interface LimitedAttributes {
  readonly attributes: KeyValue[];
  readonly dropped: number;
  readonly truncated: number;
}

/**
 * Applies the limits to `incoming`, given the keys the holder already has.
 * A key already present never counts against the limit (it is an update).
 */
export function limitAttributes(
  incoming: readonly KeyValue[],
  limits: AttributeLimits,
  existingKeys: ReadonlySet<string> = EMPTY,
): LimitedAttributes {
  // Nearly every call: fewer attributes than room and no length limit, so nothing can change.
  if (incoming.length <= limits.countLimit - existingKeys.size && limits.valueLengthLimit === Infinity) {
    return { attributes: incoming as KeyValue[], dropped: 0, truncated: 0 };
  }
  let dropped = 0;
  let truncated = 0;
  let room = limits.countLimit - existingKeys.size;
  const seen = new Set<string>();
  const attributes: KeyValue[] = [];
  for (const kv of incoming) {
    const isNew = !existingKeys.has(kv.key) && !seen.has(kv.key);
    if (isNew) {
      if (room <= 0) {
        dropped++;
        continue;
      }
      room--;
      seen.add(kv.key);
    }
    if (limits.valueLengthLimit !== Infinity && kv.value) {
      const shortened = shortenValue(kv.value, limits.valueLengthLimit);
      if (shortened !== kv.value) {
        truncated += countTruncations(kv.value, limits.valueLengthLimit);
        attributes.push(create(KeyValueSchema, { key: kv.key, value: shortened }));
        continue;
      }
    }
    attributes.push(kv);
  }
  return { attributes, dropped, truncated };
}

const EMPTY: ReadonlySet<string> = new Set();

function shortenValue(value: AnyValue, limit: number): AnyValue {
  const v = value.value;
  switch (v.case) {
    case "stringValue":
      return v.value.length > limit ? create(AnyValueSchema, { value: { case: "stringValue", value: cutString(v.value, limit) } }) : value;
    case "bytesValue":
      return v.value.length > limit ? create(AnyValueSchema, { value: { case: "bytesValue", value: v.value.slice(0, limit) } }) : value;
    case "arrayValue": {
      const values = v.value.values.map((item) => shortenValue(item, limit));
      return values.some((item, i) => item !== v.value.values[i])
        ? create(AnyValueSchema, { value: { case: "arrayValue", value: { values } } })
        : value;
    }
    case "kvlistValue": {
      const values = v.value.values.map((kv) => (kv.value ? { key: kv.key, value: shortenValue(kv.value, limit) } : kv));
      return values.some((kv, i) => kv.value !== v.value.values[i]?.value)
        ? create(AnyValueSchema, { value: { case: "kvlistValue", value: { values } } })
        : value;
    }
    default:
      return value;
  }
}

/**
 * The first `limit` UTF-16 units, one fewer when the cut would split a surrogate
 * pair: half a pair is not a character, and UTF-8 would store it as U+FFFD.
 */
function cutString(text: string, limit: number): string {
  const last = text.charCodeAt(limit - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? limit - 1 : limit);
}

function countTruncations(value: AnyValue, limit: number): number {
  const v = value.value;
  switch (v.case) {
    case "stringValue":
    case "bytesValue":
      return v.value.length > limit ? 1 : 0;
    case "arrayValue":
      return v.value.values.reduce((n, item) => n + countTruncations(item, limit), 0);
    case "kvlistValue":
      return v.value.values.reduce((n, kv) => n + (kv.value ? countTruncations(kv.value, limit) : 0), 0);
    default:
      return 0;
  }
}

/**
 * A count stored as uint32, summed from parts (a reporter's own count and ours):
 * at most 2^32 - 1, as a larger sum would wrap on the wire into a small one.
 * Fixed parameters, not a rest array: the fold and the view call it per event.
 */
export function countOf(a: number, b = 0, c = 0): number {
  return Math.min(a + b + c, 0xffff_ffff);
}
