// The first element of an RFC 7239 `Forwarded` header: what the proxy nearest
// the client saw (its `host`, `proto` and `for`). Elements are separated by
// commas, their pairs by semicolons; a value is a token or a quoted string.
// Parameter names are case-insensitive; a malformed element gives nothing.

export interface ForwardedElement {
  readonly host?: string;
  readonly proto?: string;
  readonly for?: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const UNQUOTED = /^[^\s;,"]+$/;

export function firstForwarded(header: string): ForwardedElement {
  const element: Record<string, string> = {};
  let i = 0;
  for (;;) {
    while (header[i] === " " || header[i] === "\t") i++;
    const eq = header.indexOf("=", i);
    if (eq < 0) return {};
    const name = header.slice(i, eq).trim().toLowerCase();
    if (!TOKEN.test(name)) return {};
    i = eq + 1;
    let value: string;
    if (header[i] === '"') {
      value = "";
      for (i++; i < header.length && header[i] !== '"'; i++) value += header[i] === "\\" ? (header[++i] ?? "") : header[i];
      if (header[i] !== '"') return {};
      i++;
    } else {
      const end = header.slice(i).search(/[;,]/);
      value = (end < 0 ? header.slice(i) : header.slice(i, i + end)).trim();
      i = end < 0 ? header.length : i + end;
      // Proxies often leave a `host=example.com:8080` unquoted although ":" needs quotes: taken as sent.
      if (!UNQUOTED.test(value)) return {};
    }
    // A parameter given twice in one element makes it invalid (RFC 7239, section 4).
    if (name in element) return {};
    element[name] = value;
    while (header[i] === " " || header[i] === "\t") i++;
    if (i >= header.length || header[i] === ",") break;
    if (header[i] !== ";") return {};
    i++;
  }
  return {
    ...(element["host"] !== undefined ? { host: element["host"] } : {}),
    ...(element["proto"] !== undefined ? { proto: element["proto"].toLowerCase() } : {}),
    ...(element["for"] !== undefined ? { for: element["for"] } : {}),
  };
}

/**
 * The address in a `for` value (`192.0.2.60`, `"[2001:db8::17]:4711"`,
 * `192.0.2.60:4711`), or undefined for `unknown` and obfuscated identifiers
 * (`_hidden`), which name no address.
 */
export function forwardedForAddress(value: string): string | undefined {
  if (value === "" || value.toLowerCase() === "unknown" || value.startsWith("_")) return undefined;
  if (value.startsWith("[")) {
    const close = value.indexOf("]");
    return close > 1 ? value.slice(1, close) : undefined;
  }
  const colon = value.indexOf(":");
  // One colon is IPv4 with a port; more is an IPv6 address sent without brackets.
  return colon >= 0 && value.indexOf(":", colon + 1) < 0 ? value.slice(0, colon) : value;
}
