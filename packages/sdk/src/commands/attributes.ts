// Attributes as callers write them: a plain object of primitive values or
// homogeneous arrays, the shape OpenTelemetry's `Attributes` has, so values from
// an OTel span pass through unchanged. They become OTLP-compatible KeyValues on
// the wire (see wire/command-encoder.ts): integers as int_value, other numbers
// as double_value. Undefined and null values are skipped.

export type AttributeValue =
  | string
  | number
  | boolean
  | bigint
  | Uint8Array
  | ReadonlyArray<string | number | boolean | bigint | null | undefined>;

export type Attributes = { readonly [key: string]: AttributeValue | null | undefined };

/** A shallow copy (callers may change their object after handing it over), or undefined when empty. */
export function copyAttributes(attributes: Attributes | undefined): Record<string, AttributeValue | null | undefined> | undefined {
  if (attributes === undefined) return undefined;
  let copy: Record<string, AttributeValue | null | undefined> | undefined;
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined || value === null || key === "") continue;
    (copy ??= {})[key] = value;
  }
  return copy;
}
