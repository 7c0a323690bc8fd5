// Arrays as query parameters and results, in PostgreSQL's text form. Parameters are
// sent as array literals and cast in SQL ($1::int4[]): this does not depend on the
// client having fetched the array types (postgres.js's sql.array does, and fails on a
// fresh client's first query), and costs less than postgres.js's own serialisation.

export const int4Array = (values: readonly number[]): string => `{${values.join(",")}}`;
export const int8Array = (values: readonly bigint[]): string => `{${values.join(",")}}`;
/** Canonical UUIDs only (checked before): nothing to quote. */
export const uuidArray = (values: readonly string[]): string => `{${values.join(",")}}`;
export const textArrayLiteral = (values: readonly string[]): string =>
  `{${values.map((v) => `"${v.replace(/[\\"]/g, "\\$&")}"`).join(",")}}`;
/** Each element "\\x<hex>": the quoted form of bytea's hex input. */
export const byteaArray = (values: readonly Uint8Array[]): string =>
  `{${values.map((v) => `"\\\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex")}"`).join(",")}}`;

/** Byte strings already in lowercase hex (stream ids), as a bytea[] literal. */
export const hexByteaArray = (hex: readonly string[]): string => `{${hex.map((h) => `"\\\\x${h}"`).join(",")}}`;

/** The elements of a one-dimensional array of numbers or booleans in text form. */
export function textArray(text: string | null): string[] {
  return text === null || text === "{}" ? [] : text.slice(1, -1).split(",");
}
