// OTLP exporter headers from the environment (OTEL_EXPORTER_OTLP_HEADERS, and
// our OTLP_HEADERS): as the OpenTelemetry specification defines them, a W3C
// Baggage-like list `key1=value1,key2=value2`, each value percent-decoded,
// surrounding whitespace ignored. Baggage's `;property` metadata is not part of
// the format, so a ';' is simply part of a value.

/** A header name: an HTTP token (RFC 9110 tchar). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class OtlpHeadersError extends Error {
  override readonly name = "OtlpHeadersError";
}

/**
 * Header name (lower case) -> value, in the order given (a repeated name keeps its last value).
 * Throws OtlpHeadersError naming every bad pair, so that one fix is enough.
 */
export function parseOtlpHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const problems: string[] = [];
  for (const entry of text.split(",")) {
    if (entry.trim() === "") continue;
    const header = parseEntry(entry);
    if (typeof header === "string") problems.push(header);
    else headers[header.key] = header.value;
  }
  if (problems.length > 0) throw new OtlpHeadersError(problems.join("; "));
  return headers;
}

/** One `key=value` pair, or what is wrong with it. */
function parseEntry(entry: string): { key: string; value: string } | string {
  const equals = entry.indexOf("=");
  if (equals < 0) return `"${entry.trim()}" is not key=value`;
  // Header names are case-insensitive: in lower case, "X-Key" and "x-key" are one header,
  // and a configured "Content-Type" is the exporter's own content-type, not a second one.
  const key = entry.slice(0, equals).trim().toLowerCase();
  if (!TOKEN.test(key)) return `"${key}" is not a valid header name`;
  const raw = entry.slice(equals + 1).trim();
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    return `the value of ${key} has a malformed percent-encoding`;
  }
  // What both transports can send: fetch refuses characters past U+00FF and gRPC metadata
  // anything but printable ASCII, and either would fail every export (or the start-up) later.
  if (!/^[\x20-\x7e]*$/.test(value)) return `the value of ${key} must be printable ASCII once percent-decoded (no line breaks, tabs, control or non-ASCII characters)`;
  return { key, value };
}
