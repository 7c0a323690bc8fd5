// OpenTelemetry HTTP server semantic conventions (stable, v1.23+): the
// attributes of a request span and its name, `{method} {route}` with the route
// template when the framework knows it, else `{method}` alone: a raw path (ids,
// tokens) would make names of unbounded cardinality.

import type { Attributes } from "../commands/attributes.js";
import type { HttpServerRequest } from "./server-messages.js";

const KNOWN_METHODS = new Set(["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE", "QUERY"]);

/** `scheme://` of an absolute-form request target (RFC 9112 3.2.2), as proxies are sent and servers must accept. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * The path of the request target, without the query or fragment. An
 * absolute-form target (`http://user:password@host/path?query`) gives its path
 * alone: its user info and host must not reach span names or attributes.
 */
export function requestPath(request: HttpServerRequest): string {
  let target = request.url ?? "/";
  const scheme = ABSOLUTE_FORM.exec(target);
  if (scheme !== null) {
    // The authority (user info, host, port) runs to the first "/", "?" or "#"; WHATWG URLs end it at "\" too.
    const rest = target.slice(scheme[0].length);
    const pathStart = rest.search(/[/\\?#]/);
    target = pathStart < 0 ? "" : rest.slice(pathStart);
  }
  const end = target.search(/[?#]/);
  const path = end < 0 ? target : target.slice(0, end);
  return path === "" ? "/" : path;
}

/** The method as the conventions record it: known methods as such, others as "_OTHER". */
export function requestMethod(request: HttpServerRequest): { method: string; original?: string } {
  const original = request.method ?? "GET";
  const upper = original.toUpperCase();
  if (KNOWN_METHODS.has(upper)) return upper === original ? { method: upper } : { method: upper, original };
  return { method: "_OTHER", original };
}

export function serverSpanName(request: HttpServerRequest, route: string | undefined): string {
  const { method } = requestMethod(request);
  const name = method === "_OTHER" ? "HTTP" : method;
  return route === undefined ? name : `${name} ${route}`;
}

export function requestAttributes(request: HttpServerRequest, route: string | undefined): Attributes {
  const { method, original } = requestMethod(request);
  const socket = request.socket as (HttpServerRequest["socket"] & { encrypted?: boolean }) | undefined;
  const scheme = socket?.encrypted ? "https" : "http";
  // HTTP/2 names the host in the `:authority` pseudo-header; its clients seldom send a `host`.
  const host = hostAndPort(firstHeader(request, ":authority") ?? firstHeader(request, "host"));
  const forwardedFor = firstHeader(request, "x-forwarded-for")?.split(",")[0]?.trim();
  const attributes: Record<string, string | number> = {
    "http.request.method": method,
    "url.path": requestPath(request),
    "url.scheme": scheme,
  };
  if (original !== undefined) attributes["http.request.method_original"] = original;
  if (route !== undefined) attributes["http.route"] = route;
  if (host.address) attributes["server.address"] = host.address;
  const port = host.port ?? socket?.localPort;
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

/** "example.com:8080", "[::1]:80" or "example.com" -> address and port. */
function hostAndPort(host: string | undefined): { address?: string; port?: number } {
  if (!host) return {};
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host.trim());
  if (!match) return {};
  const address = match[1]!.startsWith("[") ? match[1]!.slice(1, -1) : match[1]!;
  return match[2] !== undefined ? { address, port: Number(match[2]) } : { address };
}
