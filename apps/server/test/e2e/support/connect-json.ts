// TracingService as curl sees it: plain fetch with the Connect protocol's JSON
// on the HTTP/1.1 door. Unary: POST /traceledger.v1.TracingService/<Method>
// with application/json. Server streaming: application/connect+json with
// enveloped messages (1 flag byte, 4 length bytes, the JSON).

import { StreamReader } from "./stream-reader.js";

const SERVICE_PATH = "/traceledger.v1.TracingService";

export interface JsonResponse {
  readonly status: number;
  readonly contentType: string;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  readonly body: unknown;
}

/** A unary Connect call with a JSON body (an object, or raw text sent as it is). */
export async function postJson(httpAddress: string, method: string, body: unknown, contentType = "application/json"): Promise<JsonResponse> {
  const response = await fetch(`http://${httpAddress}${SERVICE_PATH}/${method}`, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", body: parsed };
}

/** A unary call expected to succeed: the response message as JSON. */
export async function callJson<T = Record<string, unknown>>(httpAddress: string, method: string, body: unknown): Promise<T> {
  const response = await postJson(httpAddress, method, body);
  if (response.status !== 200) throw new Error(`${method} answered HTTP ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body as T;
}

const END_STREAM = 0b10;

function envelope(json: unknown): Uint8Array {
  const payload = Buffer.from(JSON.stringify(json));
  const out = Buffer.alloc(5 + payload.length);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(payload.length, 1);
  payload.copy(out, 5);
  return out;
}

/**
 * A server-streaming Connect call with JSON: messages go to the reader; the
 * end-of-stream message's "error", if any, ends it as a failure (its value is
 * the Connect error JSON). abort() cancels the request.
 */
export function streamJson(httpAddress: string, method: string, body: unknown): { reader: StreamReader<Record<string, unknown>>; abort: () => void } {
  const reader = new StreamReader<Record<string, unknown>>();
  const controller = new AbortController();
  void (async () => {
    try {
      const response = await fetch(`http://${httpAddress}${SERVICE_PATH}/${method}`, {
        method: "POST",
        headers: { "content-type": "application/connect+json" },
        body: envelope(body),
        signal: controller.signal,
      });
      if (response.status !== 200 || !response.body) {
        reader.finish({ ok: false, error: { httpStatus: response.status, body: await response.text() } });
        return;
      }
      let buffer = Buffer.alloc(0);
      for await (const chunk of response.body) {
        buffer = Buffer.concat([buffer, chunk as Uint8Array]);
        while (buffer.length >= 5) {
          const length = buffer.readUInt32BE(1);
          if (buffer.length < 5 + length) break;
          const flags = buffer.readUInt8(0);
          const json = JSON.parse(buffer.subarray(5, 5 + length).toString()) as Record<string, unknown>;
          buffer = buffer.subarray(5 + length);
          if (flags & END_STREAM) {
            reader.finish(json["error"] === undefined ? { ok: true } : { ok: false, error: json["error"] });
            return;
          }
          reader.push(json);
        }
      }
      reader.finish({ ok: false, error: new Error("the stream closed without an end-of-stream message") });
    } catch (error) {
      reader.finish({ ok: false, error });
    }
  })();
  return { reader, abort: () => controller.abort() };
}

/** JSON base64 of bytes, as the Connect JSON mapping writes them. */
export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

/** Bytes from the base64 of a JSON field (standard or URL-safe alphabet). */
export const fromB64 = (text: unknown): Buffer => Buffer.from(String(text ?? ""), "base64");
