// A value in a failure message: JSON, with the bigints and bytes of protobuf
// messages written readably (as decimal and hex) instead of failing to encode.

export function describeValue(value: unknown): string {
  try {
    return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v));
  } catch {
    return String(value);
  }
}
