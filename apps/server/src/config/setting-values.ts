// How the server's settings read numbers and booleans, in one place for
// server-config.ts and monitoring-settings.ts: what Number() would also take
// (0x10, 0b1, 0o7, 1e3, Infinity, -0, " ") is refused, so a value means what it
// looks like in decimal.

/** A whole number in decimal digits: no sign, exponent, hex, binary or octal prefix. */
export function isWholeNumber(raw: string): boolean {
  return /^\d+$/.test(raw);
}

/** A number in plain decimal notation: 0, 1, 0.25, .5, 1.0; no sign, exponent, prefix, Infinity or trailing point. */
export function isDecimal(raw: string): boolean {
  return /^\d*\.?\d+$/.test(raw);
}

/** true or 1, false or 0, in any letter case; undefined for anything else. */
export function parseBoolean(raw: string): boolean | undefined {
  const text = raw.toLowerCase();
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  return undefined;
}
