// Responses encoded before the call (a cached or stored view): a protobuf-es
// message whose fields are all unknown fields. toBinary writes unknown fields
// out as they are, so both doors send the bytes without encoding anything
// again. JSON has no place for unknown fields: the HTTP door decodes such a
// message before writing JSON (preEncodedJsonInterceptor).

import { create, fromBinary, toBinary, type DescMessage, type Message, type MessageShape } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import type { Interceptor } from "@connectrpc/connect";

const preEncoded = new WeakSet<Message>();

/** A message of `schema` that serialises to exactly `bytes` (an encoding of a `schema` message). */
export function preEncodedMessage<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): MessageShape<Desc> {
  const message = create(schema);
  const unknown: NonNullable<Message["$unknown"]> = [];
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    unknown.push({ no, wireType, data: reader.skip(wireType, no) });
  }
  message.$unknown = unknown;
  preEncoded.add(message);
  return message;
}

export function isPreEncoded(message: Message): boolean {
  return preEncoded.has(message);
}

/** For JSON requests, turns a pre-encoded response into the decoded message JSON can show. */
export function preEncodedJsonInterceptor(): Interceptor {
  return (next) => async (request) => {
    const response = await next(request);
    if (response.stream || !isPreEncoded(response.message) || !(request.header.get("content-type") ?? "").includes("json")) return response;
    const schema = response.method.output;
    return { ...response, message: fromBinary(schema, toBinary(schema, response.message)) };
  };
}
