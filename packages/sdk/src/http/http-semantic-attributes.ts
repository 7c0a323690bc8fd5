// OpenTelemetry HTTP server semantic conventions (stable, v1.23+): the
// attributes of a request span and its name, `{method} {route}` with the route
// template when the framework knows it, else `{method}` alone: a raw path (ids,
// tokens) would make names of unbounded cardinality. `url.query` is recorded
// when the request has one, with the values the conventions call sensitive
// (pre-signed URLs' signatures and access key ids) replaced by `REDACTED`.
// `server.address`/`server.port`, `url.scheme` and `client.address` describe the
// client's request: from a reverse proxy's `Forwarded` (or `X-Forwarded-Host`,
// `-Proto`, `-For`) header when there is one, as the conventions ask, else from
// `:authority` or `Host` and the connection.

import type { Attributes } from "../commands/attributes.js";
import { firstForwarded, forwardedForAddress } from "./forwarded-header.js";
import type { HttpServerRequest } from "./server-messages.js";

/** RFC 9110's methods, PATCH (RFC 5789) and QUERY: the conventions' known methods by default. */
export const DEFAULT_KNOWN_METHODS: readonly string[] = ["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE", "QUERY"];

/**
 * Which request methods are recorded as themselves. Methods are case-sensitive:
 * a `get` (HTTP/2 lets a client send one; Node's HTTP/1 parser refuses it) is
 * not GET, and is recorded as `_OTHER` with the method as sent in
 * `http.request.method_original`, as the conventions ask.
 */
export class MethodNames {
  private readonly known: ReadonlySet<string>;

  constructor(known: readonly string[]) {
    this.known = new Set(known);
  }

  /** The method as the conventions record it: known methods as such, others as "_OTHER". */
  of(request: HttpServerRequest): { method: string; original?: string } {
    const original = request.method ?? "GET";
    return this.known.has(original) ? { method: original } : { method: "_OTHER", original };
  }
}

/** `scheme://` of an absolute-form request target (RFC 9112 3.2.2), as proxies are sent and servers must accept. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * The request target without its scheme and authority: an absolute-form target
 * (`http://user:password@host/path?query`) gives `/path?query`, as its user info
 * and host must not reach span names or attributes.
 */
function originTarget(request: HttpServerRequest): string {
  const target = request.url ?? "/";
  const scheme = ABSOLUTE_FORM.exec(target);
  if (scheme === null) return target;
  // The authority (user info, host, port) runs to the first "/", "?" or "#"; WHATWG URLs end it at "\" too.
  const rest = target.slice(scheme[0].length);
  const pathStart = rest.search(/[/\\?#]/);
  return pathStart < 0 ? "" : rest.slice(pathStart);
}

/** The path of the request target, without the query or fragment (and without an absolute-form target's authority). */
export function requestPath(request: HttpServerRequest): string {
  const target = originTarget(request);
  const end = target.search(/[?#]/);
  const path = end < 0 ? target : target.slice(0, end);
  return path === "" ? "/" : path;
}

/**
 * Query keys whose values the conventions say to redact by default (`url.query`):
 * request signatures and access key ids of pre-signed URLs (AWS S3, Azure SAS, Google Cloud Storage).
 */
const SENSITIVE_QUERY_KEYS = new Set(["awsaccesskeyid", "signature", "sig", "x-goog-signature"]);
const REDACTED = "REDACTED";

/**
 * The query of the request target, without the leading "?" (undefined when it has
 * none, or an empty one), as sent but for the values of the sensitive keys, which
 * become `REDACTED` (the key stays: `q=1&sig=REDACTED`). Keys are compared
 * percent-decoded and in any case, so an encoded or differently cased spelling is
 * redacted too.
 */
export function requestQuery(request: HttpServerRequest): string | undefined {
  const target = originTarget(request);
  const start = target.indexOf("?");
  if (start < 0) return undefined;
  const end = target.indexOf("#", start);
  const query = target.slice(start + 1, end < 0 ? undefined : end);
  if (query === "") return undefined;
  return query
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return pair;
      const key = pair.slice(0, eq);
      return SENSITIVE_QUERY_KEYS.has(decodeQueryKey(key).toLowerCase()) ? `${key}=${REDACTED}` : pair;
    })
    .join("&");
}

function decodeQueryKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    return key; // a malformed escape: compare it as sent
  }
}

export function serverSpanName(request: HttpServerRequest, route: string | undefined, methods: MethodNames): string {
  const { method } = methods.of(request);
  const name = method === "_OTHER" ? "HTTP" : method;
  return route === undefined ? name : `${name} ${route}`;
}

export function requestAttributes(request: HttpServerRequest, route: string | undefined, methods: MethodNames): Attributes {
  const { method, original } = methods.of(request);
  const socket = request.socket as (HttpServerRequest["socket"] & { encrypted?: boolean }) | undefined;
  // Behind a reverse proxy, the client's request is the one the proxy describes
  // (Forwarded, else X-Forwarded-*); the conventions ask for it first.
  const forwardedHeader = firstHeader(request, "forwarded");
  const forwarded = forwardedHeader === undefined ? {} : firstForwarded(forwardedHeader);
  const scheme = forwarded.proto ?? firstListed(request, "x-forwarded-proto")?.toLowerCase() ?? (socket?.encrypted ? "https" : "http");
  // HTTP/2 names the host in the `:authority` pseudo-header; its clients seldom send a `host`.
  const hostHeader = forwarded.host ?? firstListed(request, "x-forwarded-host") ?? firstHeader(request, ":authority") ?? firstHeader(request, "host");
  const host = hostAndPort(hostHeader);
  const forwardedFor = (forwarded.for !== undefined ? forwardedForAddress(forwarded.for) : undefined) ?? firstListed(request, "x-forwarded-for");
  const attributes: Record<string, string | number> = {
    "http.request.method": method,
    "url.path": requestPath(request),
    "url.scheme": scheme,
  };
  const query = requestQuery(request);
  if (query !== undefined) attributes["url.query"] = query;
  if (original !== undefined) attributes["http.request.method_original"] = original;
  if (route !== undefined) attributes["http.route"] = route;
  if (host.address) attributes["server.address"] = host.address;
  // A host named without a port is at its scheme's default one, not at the port this process listens on.
  const port = host.port ?? (host.address ? DEFAULT_PORTS[scheme] : undefined) ?? socket?.localPort;
  if (port !== undefined) attributes["server.port"] = port;
  const userAgent = firstHeader(request, "user-agent");
  if (userAgent) attributes["user_agent.original"] = userAgent;
  const client = forwardedFor || socket?.remoteAddress;
  if (client) attributes["client.address"] = client;
  if (socket?.remoteAddress) attributes["network.peer.address"] = socket.remoteAddress;
  if (request.httpVersion) attributes["network.protocol.version"] = request.httpVersion;
  return attributes;
}

function firstHeader(request: HttpServerRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The first entry of a comma-separated header (X-Forwarded-*: the client's, proxies append theirs). */
function firstListed(request: HttpServerRequest, name: string): string | undefined {
  const first = firstHeader(request, name)?.split(",", 1)[0]?.trim();
  return first === "" ? undefined : first;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

/** "example.com:8080", "[::1]:80" or "example.com" -> address and port. */
function hostAndPort(host: string | undefined): { address?: string; port?: number } {
  if (!host) return {};
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host.trim());
  if (!match) return {};
  const address = match[1]!.startsWith("[") ? match[1]!.slice(1, -1) : match[1]!;
  return match[2] !== undefined ? { address, port: Number(match[2]) } : { address };
}
