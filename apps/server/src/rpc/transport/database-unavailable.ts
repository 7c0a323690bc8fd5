// Whether an error says the database could not be reached, rather than that
// something in traceledger is wrong: the connection was refused, reset, closed
// or dropped (dropConnections), or PostgreSQL is shutting down or full. A read
// that failed so is UNAVAILABLE with a stable reason (the client retries, as
// AIP-194 says), where an unexpected error is INTERNAL.

/** postgres.js's connection errors and Node's socket errors. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "CONNECTION_DROPPED",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** SQLSTATEs of a server going away or out of room for connections; class 08 is checked apart. */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== "string") return false;
  // Class 08: connection exception (PostgreSQL's SQLSTATEs are five characters).
  return CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || (code.length === 5 && code.startsWith("08"));
}
