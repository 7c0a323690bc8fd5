// OTLP exporter headers from the environment (OTEL_EXPORTER_OTLP_HEADERS, and
// our OTLP_HEADERS): as the OpenTelemetry specification defines them, a W3C
// Baggage-like list `key1=value1,key2=value2`, each value percent-decoded,
// surrounding whitespace ignored. Baggage's `;property` metadata is not part of
// the format, so a ';' is simply part of a value. A message about a bad entry
// never quotes its value, which is often a secret (an API key, a token): only its
// position and what looks like its name.

/** A header name: an HTTP token (RFC 9110 tchar). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A gRPC metadata key as grpc-js takes it (names are in lower case by then). */
const GRPC_KEY = /^[0-9a-z_.-]+$/;
/** HTTP/2 connection-specific headers: Node's http2 refuses them, so grpc-js never starts the call (and retries it until its deadline, every time). */
const HTTP2_CONNECTION_HEADERS = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "http2-settings"]);
/** Headers Node's fetch (undici) throws for on every request; connection is taken only as close or keep-alive. */
const FETCH_REFUSED = new Set(["expect", "transfer-encoding", "keep-alive", "upgrade"]);

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
  for (const [index, entry] of text.split(",").entries()) {
    if (entry.trim() === "") continue;
    const header = parseEntry(entry, index + 1);
    if (typeof header === "string") problems.push(header);
    else headers[header.key] = header.value;
  }
  if (problems.length > 0) throw new OtlpHeadersError(problems.join("; "));
  return headers;
}

/** One `key=value` pair (the `position`th in the list, from 1), or what is wrong with it. */
function parseEntry(entry: string, position: number): { key: string; value: string } | string {
  const equals = entry.indexOf("=");
  const name = nameOf(entry);
  const described = `entry ${position}${name ? ` (${JSON.stringify(name)})` : ""}`;
  if (equals < 0) return `${described} is not key=value (write ${name || "name"}=value, with a space in the value as %20 and a comma as %2C)`;
  // Header names are case-insensitive: in lower case, "X-Key" and "x-key" are one header,
  // and a configured "Content-Type" is the exporter's own content-type, not a second one.
  const key = entry.slice(0, equals).trim().toLowerCase();
  if (!TOKEN.test(key)) return `${described} has no valid header name before "="`;
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

/**
 * What looks like a bad entry's header name, to name it by: the text before its first ':', '='
 * or whitespace, when one follows it. An entry with none of them may as well be the tail of a
 * value cut at a ',' (a token holding a comma), so it gets no name.
 */
function nameOf(entry: string): string | undefined {
  const match = /^\s*([^\s:=]+)\s*[\s:=]/.exec(entry);
  return match?.[1];
}

/**
 * What in `headers` (from parseOtlpHeaders) the transport of `protocol` cannot send, one message
 * per header: names outside gRPC's metadata keys, and headers the transport refuses (Node's fetch
 * throws for expect, transfer-encoding, ...; HTTP/2 forbids connection headers). Each would fail
 * every export, so the configuration refuses them at start-up; so is a Host, which fetch drops. Content-Length is the exporter's:
 * it depends on each request's body.
 */
export function unsendableHeaders(headers: Readonly<Record<string, string>>, protocol: "http/protobuf" | "grpc"): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name === "content-length") problems.push(`"content-length" is the exporter's own (each request's body sets it)`);
    else if (protocol === "grpc") {
      if (!GRPC_KEY.test(name)) problems.push(`"${name}" is not a gRPC metadata key (only a-z, 0-9, "-", "_" and ".")`);
      else if (HTTP2_CONNECTION_HEADERS.has(name)) problems.push(`"${name}" is an HTTP/1 connection header, which HTTP/2 (gRPC) cannot send`);
    } else if (FETCH_REFUSED.has(name)) problems.push(`"${name}" is a header Node's fetch refuses to send`);
    // fetch drops it without a word and sends the endpoint's own: a virtual host belongs in the endpoint's URL.
    else if (name === "host") problems.push(`"host" is replaced by Node's fetch with the endpoint's host (name the host in OTLP_ENDPOINT)`);
    else if (name === "connection" && !/^(close|keep-alive)$/i.test(value)) problems.push(`"connection" can only be close or keep-alive (Node's fetch refuses other values)`);
  }
  return problems;
}
