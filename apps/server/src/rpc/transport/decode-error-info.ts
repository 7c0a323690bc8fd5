// connect-node decodes a request before any interceptor of ours runs, and
// answers one that does not decode with a bare code: INTERNAL ("parse binary:
// ...", HTTP 500, as if the server were at fault) for protobuf binary,
// INVALID_ARGUMENT for JSON, and INTERNAL for a compressed body cut short. This wrapper of a method's handler restates such
// an answer as INVALID_ARGUMENT with the ErrorInfo every other bad input
// carries, in the answer's own protocol: a Connect unary error body, a Connect
// stream's end message, or a gRPC-Web trailer. Other answers pass unchanged.
//
// connect compresses an answer of 1 KiB or more for a client that accepts it
// (fetch and browsers do): such an answer is read uncompressed, and the shorter
// restatement sent as it is.

import { Code, ConnectError } from "@connectrpc/connect";
import { compressedFlag, createAsyncIterable, readAllBytes, type Compression, type UniversalHandler, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import {
  codeToHttpStatus,
  createEndStreamSerialization,
  endStreamFlag,
  errorFromJsonBytes,
  errorToJsonBytes,
  headerStreamEncoding,
  headerUnaryEncoding,
} from "@connectrpc/connect/protocol-connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { headerEncoding as headerGrpcEncoding, setTrailerStatus, trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { constants } from "node:buffer";
import { shortDecoderMessage } from "./decoder-message.js";
import { binaryDecodeFailure, malformedRequest } from "./malformed-request.js";

type Restate = (error: ConnectError | undefined) => ConnectError | undefined;

const BINARY_PREFIX = "parse binary: ";
/** connect-node's message for a request body its decompression refused. */
const DECOMPRESSION_FAILED = "decompression failed";
const JSON_FAILURE = /^cannot decode .* from JSON: /s;
const ENVELOPE_HEADER_BYTES = 5;
const endStream = createEndStreamSerialization({});
/** connect-node's default compressions, by the name its answers' headers give. */
const compressions: ReadonlyMap<string, Compression> = new Map([compressionGzip, compressionBrotli].map((c) => [c.name, c]));

/** `reason`: the ErrorInfo reason of this service's undecodable requests. */
export function withDecodeErrorInfo(handler: UniversalHandler, reason: string): UniversalHandler {
  const messageType = handler.method.input.typeName;
  const restate: Restate = (error) => {
    // Errors with details come from our own code, never from the decoder.
    if (error === undefined || error.details.length > 0) return undefined;
    if (error.code === Code.Internal && error.rawMessage.startsWith(BINARY_PREFIX)) {
      return malformedRequest(reason, messageType, binaryDecodeFailure(messageType, shortDecoderMessage(error.rawMessage.slice(BINARY_PREFIX.length))));
    }
    // JSON's reader quotes the value or key it could not read, however long.
    if (error.code === Code.InvalidArgument && JSON_FAILURE.test(error.rawMessage)) return malformedRequest(reason, messageType, shortDecoderMessage(error.rawMessage));
    // A body that is not the compressed data its encoding names: INTERNAL when cut short, INVALID_ARGUMENT otherwise.
    if ((error.code === Code.Internal || error.code === Code.InvalidArgument) && error.rawMessage === DECOMPRESSION_FAILED) {
      return malformedRequest(reason, messageType, "the request body does not decompress: it is cut short or not in the encoding its headers name");
    }
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
  if (contentType === "application/json" && (response.status === 400 || response.status === 500)) {
    const compression = compressionOf(header, headerUnaryEncoding);
    return compression === undefined ? response : restatedUnary(response, header, body, restate, compression);
  }
  if (contentType.startsWith("application/grpc-web")) {
    return restatedFirstEnvelope(response, body, trailerFlag, compressionOf(header, headerGrpcEncoding), (data) => restatedTrailer(data, restate));
  }
  if (contentType.startsWith("application/connect+")) {
    return restatedFirstEnvelope(response, body, endStreamFlag, compressionOf(header, headerStreamEncoding), (data) => restatedEndStream(data, restate));
  }
  return response;
}

/** How the answer is compressed: null for not at all; undefined for a way this wrapper cannot read. */
function compressionOf(header: Headers, name: string): Compression | null | undefined {
  const encoding = header.get(name);
  return encoding === null || encoding === "identity" ? null : compressions.get(encoding);
}

/** A Connect unary error: its JSON is the whole body. */
async function restatedUnary(response: UniversalServerResponse, header: Headers, body: AsyncIterable<Uint8Array>, restate: Restate, compression: Compression | null): Promise<UniversalServerResponse> {
  const bytes = await readAllBytes(body, Number.MAX_SAFE_INTEGER);
  const json = compression === null ? bytes : await compression.decompress(bytes, constants.MAX_LENGTH);
  const error = restate(errorFromJsonBytes(json, undefined, new ConnectError("", Code.Unknown)));
  if (error === undefined) return { ...response, body: createAsyncIterable([bytes]) };
  const restatedBytes = errorToJsonBytes(error, {});
  header.delete(headerUnaryEncoding);
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
  compression: Compression | null | undefined,
  restateData: (data: Uint8Array) => Uint8Array | undefined,
): Promise<UniversalServerResponse> {
  const iterator = body[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true) return { ...response, body: createAsyncIterable([]) };
  const envelope = first.value;
  const flags = envelope[0] ?? 0;
  const isEnd = envelope.byteLength >= ENVELOPE_HEADER_BYTES && (flags & ~compressedFlag) === endFlag && new DataView(envelope.buffer, envelope.byteOffset).getUint32(1) === envelope.byteLength - ENVELOPE_HEADER_BYTES;
  const sent = isEnd ? await uncompressed(envelope.subarray(ENVELOPE_HEADER_BYTES), (flags & compressedFlag) !== 0, compression) : undefined;
  const data = sent === undefined ? undefined : restateData(sent);
  // Each envelope says whether it is compressed: the restated one is not.
  const head = data === undefined ? envelope : framed(endFlag, data);
  return { ...response, body: prepended(head, iterator) };
}

/** An envelope's data as written; undefined when compressed in a way this wrapper cannot read. */
async function uncompressed(data: Uint8Array, compressed: boolean, compression: Compression | null | undefined): Promise<Uint8Array | undefined> {
  if (!compressed) return data;
  return compression ? compression.decompress(data, constants.MAX_LENGTH) : undefined;
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
