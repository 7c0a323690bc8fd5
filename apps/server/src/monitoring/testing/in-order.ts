// Deep equality that sees order: a value with its Maps and Sets as arrays of their entries.
// The saga's state keeps traces and statistics in order of last activity, so their order
// is state, and a snapshot must give it back.

export function inOrder(value: unknown): unknown {
  if (value instanceof Map) return { map: [...value].map(([k, v]) => [k, inOrder(v)]) };
  if (value instanceof Set) return { set: [...value].map(inOrder) };
  if (Array.isArray(value)) return value.map(inOrder);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inOrder(v)]));
  return value;
}
