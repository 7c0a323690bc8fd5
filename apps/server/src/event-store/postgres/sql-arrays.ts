// Arrays as query parameters and results, in PostgreSQL's text form. Parameters are
// sent as array literals and cast in SQL ($1::int4[]): this does not depend on the
// client having fetched the array types (postgres.js's sql.array does, and fails on a
// fresh client's first query), and costs less than postgres.js's own serialisation.

export const int4Array = (values: readonly number[]): string => `{${values.join(",")}}`;
export const int8Array = (values: readonly bigint[]): string => `{${values.join(",")}}`;
/** Canonical UUIDs only (checked before): nothing to quote. */
export const uuidArray = (values: readonly string[]): string => `{${values.join(",")}}`;
export function textArrayLiteral(values: readonly string[]): string {
  // A batch names the same few event types thousands of times: each is quoted once
  // (a regular expression per element cost about 0.15 us).
  const quoted = new Map<string, string>();
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let q = quoted.get(v);
    if (q === undefined) quoted.set(v, (q = `"${v.replace(/[\\"]/g, "\\$&")}"`));
    parts[i] = q;
  }
  return `{${parts.join(",")}}`;
}
/** Each element "\\x<hex>": the quoted form of bytea's hex input. */
export const byteaArray = (values: readonly Uint8Array[]): string =>
  `{${values.map((v) => `"\\\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex")}"`).join(",")}}`;

/** Byte strings already in lowercase hex (stream ids), as a bytea[] literal. */
export const hexByteaArray = (hex: readonly string[]): string => `{${hex.map((h) => `"\\\\x${h}"`).join(",")}}`;

/** The elements of a one-dimensional array of numbers or booleans in text form. */
export function textArray(text: string | null): string[] {
  return text === null || text === "{}" ? [] : text.slice(1, -1).split(",");
}
