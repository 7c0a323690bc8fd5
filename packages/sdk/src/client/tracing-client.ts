// The thin client: the generated TracingService client over a connect
// transport, either gRPC (HTTP/2, to the server's gRPC port) or the Connect
// protocol (HTTP/1.1, binary, to the HTTP port). close() releases the
// connections so that a process can exit.

import * as http from "node:http";
import * as https from "node:https";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { TracingService } from "@traceledger/proto";
import { TracingConfigError } from "../config/tracing-config-error.js";

export type TransportKind = "grpc" | "connect";

export interface TracingClientOptions {
  /** The server, e.g. `http://127.0.0.1:7317` (gRPC port) or `http://127.0.0.1:7318` (HTTP port). */
  readonly url: string;
  /** "grpc" (default) for the gRPC port, "connect" for the HTTP port. */
  readonly transport?: TransportKind;
  /** Headers sent with every call, e.g. an authorization token. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The deadline of each call in milliseconds. Default 10,000. */
  readonly timeoutMs?: number;
  /** Connect interceptors, applied to every call. */
  readonly interceptors?: readonly Interceptor[];
}

export type TracingClient = Client<typeof TracingService> & {
  /** The transport under the client, for calls the generated client does not make. */
  readonly transport: Transport;
  readonly url: string;
  /** Closes the connections; later calls open new ones. */
  close(): void;
};

export const DEFAULT_TIMEOUT_MS = 10_000;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function createTracingClient(options: TracingClientOptions): TracingClient {
  const problems = validateClientOptions(options);
  if (problems.length > 0) throw new TracingConfigError(problems);
  const baseUrl = options.url.replace(/\/+$/, "");
  const interceptors = [...(options.headers && Object.keys(options.headers).length > 0 ? [headersInterceptor(options.headers)] : []), ...(options.interceptors ?? [])];
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let transport: Transport;
  let close: () => void;
  if ((options.transport ?? "grpc") === "grpc") {
    const sessionManager = new Http2SessionManager(baseUrl, { idleConnectionTimeoutMs: 60_000 });
    transport = createGrpcTransport({ baseUrl, sessionManager, interceptors, defaultTimeoutMs });
    close = () => sessionManager.abort();
  } else {
    const agent = baseUrl.startsWith("https:") ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    transport = createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true, nodeOptions: { agent }, interceptors, defaultTimeoutMs });
    close = () => agent.destroy();
  }
  const client = createClient(TracingService, transport);
  return Object.assign(client, { transport, url: baseUrl, close });
}

export function validateClientOptions(options: Partial<TracingClientOptions>, names: Partial<Record<keyof TracingClientOptions, string>> = {}): string[] {
  const problems: string[] = [];
  const name = (key: keyof TracingClientOptions) => names[key] ?? key;
  if (typeof options.url !== "string" || !isHttpUrl(options.url)) {
    problems.push(`${name("url")}=${JSON.stringify(options.url)} must be an http:// or https:// URL, e.g. http://127.0.0.1:7317`);
  }
  if (options.transport !== undefined && options.transport !== "grpc" && options.transport !== "connect") {
    problems.push(`${name("transport")}=${JSON.stringify(options.transport)} must be "grpc" or "connect"`);
  }
  if (options.timeoutMs !== undefined && !(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0 && options.timeoutMs <= 600_000)) {
    problems.push(`${name("timeoutMs")}=${JSON.stringify(options.timeoutMs)} must be a whole number of milliseconds between 1 and 600000`);
  }
  for (const [key, value] of Object.entries(options.headers ?? {})) {
    if (!HEADER_NAME.test(key) || typeof value !== "string" || /[\r\n\0]/.test(value)) {
      problems.push(`${name("headers")} has an invalid header ${JSON.stringify(key)}`);
    }
  }
  return problems;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

function headersInterceptor(headers: Readonly<Record<string, string>>): Interceptor {
  const entries = Object.entries(headers);
  return (next) => (request) => {
    for (const [key, value] of entries) request.header.set(key, value);
    return next(request);
  };
}
