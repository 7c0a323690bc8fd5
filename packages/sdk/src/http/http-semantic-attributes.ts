// OpenTelemetry HTTP server semantic conventions (stable, v1.23+): the
// attributes of a request span and its name, `{method} {route}` with the route
// template when the framework knows it, else the path without the query.

import type { IncomingMessage } from "node:http";
import type { Attributes } from "../commands/attributes.js";

const KNOWN_METHODS = new Set(["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE", "QUERY"]);

export function requestPath(request: IncomingMessage): string {
  const url = request.url ?? "/";
  const end = url.search(/[?#]/);
  const path = end < 0 ? url : url.slice(0, end);
  return path === "" ? "/" : path;
}

/** The method as the conventions record it: known methods as such, others as "_OTHER". */
export function requestMethod(request: IncomingMessage): { method: string; original?: string } {
  const original = request.method ?? "GET";
  const upper = original.toUpperCase();
  if (KNOWN_METHODS.has(upper)) return upper === original ? { method: upper } : { method: upper, original };
  return { method: "_OTHER", original };
}

export function serverSpanName(request: IncomingMessage, route: string | undefined): string {
  const { method } = requestMethod(request);
  return `${method === "_OTHER" ? "HTTP" : method} ${route ?? requestPath(request)}`;
}

export function requestAttributes(request: IncomingMessage, route: string | undefined): Attributes {
  const { method, original } = requestMethod(request);
  const socket = request.socket as (IncomingMessage["socket"] & { encrypted?: boolean }) | undefined;
  const scheme = socket?.encrypted ? "https" : "http";
  const host = hostAndPort(firstHeader(request, "host"));
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

function firstHeader(request: IncomingMessage, name: string): string | undefined {
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
