// connect-node decodes a request before any interceptor of ours runs, and
// answers one that does not decode with a bare code: INTERNAL ("parse binary:
// ...", HTTP 500, as if the server were at fault) for protobuf binary,
// INVALID_ARGUMENT for JSON. This wrapper of a method's handler restates such
// an answer as INVALID_ARGUMENT with the ErrorInfo every other bad input
// carries, in the answer's own protocol: a Connect unary error body, a Connect
// stream's end message, or a gRPC-Web trailer. Other answers pass unchanged.

import { Code, ConnectError } from "@connectrpc/connect";
import { createAsyncIterable, readAllBytes, type UniversalHandler, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, createEndStreamSerialization, endStreamFlag, errorFromJsonBytes, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { setTrailerStatus, trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { binaryDecodeFailure, malformedRequest } from "./malformed-request.js";

type Restate = (error: ConnectError | undefined) => ConnectError | undefined;

const BINARY_PREFIX = "parse binary: ";
const JSON_FAILURE = /^cannot decode .* from JSON: /s;
const ENVELOPE_HEADER_BYTES = 5;
const endStream = createEndStreamSerialization({});

/** `reason`: the ErrorInfo reason of this service's undecodable requests. */
export function withDecodeErrorInfo(handler: UniversalHandler, reason: string): UniversalHandler {
  const messageType = handler.method.input.typeName;
  const restate: Restate = (error) => {
    // Errors with details come from our own code, never from the decoder.
    if (error === undefined || error.details.length > 0) return undefined;
    if (error.code === Code.Internal && error.rawMessage.startsWith(BINARY_PREFIX)) {
      return malformedRequest(reason, messageType, binaryDecodeFailure(messageType, error.rawMessage.slice(BINARY_PREFIX.length)));
    }
    if (error.code === Code.InvalidArgument && JSON_FAILURE.test(error.rawMessage)) return malformedRequest(reason, messageType, error.rawMessage);
    return undefined;
  };
  const wrapped = async (request: Parameters<UniversalHandler>[0]) => restated(await handler(request), restate);
  return Object.assign(wrapped, {
    protocolNames: handler.protocolNames,
    service: handler.service,
    method: handler.method,
    requestPath: handler.requestPath,
    allowedMethods: handler.allowedMethods,
    supportedContentType: handler.supportedContentType,
  });
}

async function restated(response: UniversalServerResponse, restate: Restate): Promise<UniversalServerResponse> {
  const { header, body } = response;
  if (header === undefined || body === undefined) return response;
  const contentType = header.get("content-type") ?? "";
  // A decode failure is INVALID_ARGUMENT (JSON, HTTP 400) or INTERNAL (binary, HTTP 500): other
  // errors, our own with their ErrorInfo, are passed on unread.
  if (contentType === "application/json" && (response.status === 400 || response.status === 500) && !header.has("content-encoding")) {
    return restatedUnary(response, header, body, restate);
  }
  if (contentType.startsWith("application/grpc-web")) return restatedFirstEnvelope(response, body, trailerFlag, (data) => restatedTrailer(data, restate));
  if (contentType.startsWith("application/connect+")) return restatedFirstEnvelope(response, body, endStreamFlag, (data) => restatedEndStream(data, restate));
  return response;
}

/** A Connect unary error: its JSON is the whole body. */
async function restatedUnary(response: UniversalServerResponse, header: Headers, body: AsyncIterable<Uint8Array>, restate: Restate): Promise<UniversalServerResponse> {
  const bytes = await readAllBytes(body, Number.MAX_SAFE_INTEGER);
  const error = restate(errorFromJsonBytes(bytes, undefined, new ConnectError("", Code.Unknown)));
  if (error === undefined) return { ...response, body: createAsyncIterable([bytes]) };
  const restatedBytes = errorToJsonBytes(error, {});
  header.set("content-length", String(restatedBytes.byteLength));
  return { ...response, status: codeToHttpStatus(error.code), body: createAsyncIterable([restatedBytes]) };
}

/**
 * A request that does not decode fails before any answer message, so its status
 * is the first envelope of the body: connect yields each envelope whole.
 */
async function restatedFirstEnvelope(
  response: UniversalServerResponse,
  body: AsyncIterable<Uint8Array>,
  endFlag: number,
  restateData: (data: Uint8Array) => Uint8Array | undefined,
): Promise<UniversalServerResponse> {
  const iterator = body[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true) return { ...response, body: createAsyncIterable([]) };
  const envelope = first.value;
  const isEnd = envelope.byteLength >= ENVELOPE_HEADER_BYTES && envelope[0] === endFlag && new DataView(envelope.buffer, envelope.byteOffset).getUint32(1) === envelope.byteLength - ENVELOPE_HEADER_BYTES;
  const data = isEnd ? restateData(envelope.subarray(ENVELOPE_HEADER_BYTES)) : undefined;
  const head = data === undefined ? envelope : framed(endFlag, data);
  return { ...response, body: prepended(head, iterator) };
}

function restatedTrailer(data: Uint8Array, restate: Restate): Uint8Array | undefined {
  const trailer = trailerParse(data);
  const error = restate(findTrailerError(trailer));
  return error === undefined ? undefined : trailerSerialize(setTrailerStatus(trailer, error));
}

function restatedEndStream(data: Uint8Array, restate: Restate): Uint8Array | undefined {
  const end = endStream.parse(data);
  const error = restate(end.error);
  return error === undefined ? undefined : endStream.serialize({ metadata: end.metadata, error });
}

function framed(flags: number, data: Uint8Array): Uint8Array {
  const envelope = new Uint8Array(ENVELOPE_HEADER_BYTES + data.byteLength);
  envelope[0] = flags;
  new DataView(envelope.buffer).setUint32(1, data.byteLength);
  envelope.set(data, ENVELOPE_HEADER_BYTES);
  return envelope;
}

/** The body with its first envelope replaced; ending or failing it ends or fails connect's own. */
function prepended(head: Uint8Array, rest: AsyncIterator<Uint8Array>): AsyncIterable<Uint8Array> {
  let headSent = false;
  const iterator: AsyncIterator<Uint8Array> = {
    next() {
      if (headSent) return rest.next();
      headSent = true;
      return Promise.resolve({ done: false, value: head });
    },
    return: (value?: unknown) => rest.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
    throw: (error?: unknown) => rest.throw?.(error) ?? Promise.reject(error),
  };
  return { [Symbol.asyncIterator]: () => iterator };
}
