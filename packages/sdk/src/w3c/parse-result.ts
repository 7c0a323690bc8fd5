// The outcome of parsing a W3C header value: the value, or why it was refused.
// Parsers never throw on bad input: a malformed header from the network is data,
// not a programming error.

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export function parsed<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

export function refused<T>(reason: string): ParseResult<T> {
  return { ok: false, reason };
}
