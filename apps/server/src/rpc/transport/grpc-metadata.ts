// gRPC metadata <-> the fetch Headers that connect-es implementations read and
// write, with connect's convention for binary ("-bin") values: base64 text in
// Headers, raw bytes in metadata.

import { Metadata } from "@grpc/grpc-js";
import { decodeBinaryHeader, encodeBinaryHeader } from "@connectrpc/connect";

// The transport owns these; an implementation setting one would corrupt the call.
const RESERVED = /^(grpc-|:)|^(content-type|te|user-agent|content-length|connection)$/;

export function metadataToHeaders(metadata: Metadata): Headers {
  const headers = new Headers();
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    for (const value of values) {
      headers.append(key, typeof value === "string" ? value : encodeBinaryHeader(value));
    }
  }
  return headers;
}

/** Copies headers into metadata, skipping reserved and invalid entries rather than failing the call. */
export function appendHeadersToMetadata(headers: Headers, metadata: Metadata = new Metadata()): Metadata {
  headers.forEach((value, key) => {
    if (RESERVED.test(key)) return;
    try {
      metadata.add(key, key.endsWith("-bin") ? Buffer.from(decodeBinaryHeader(value)) : value);
    } catch {
      // Metadata refuses keys and values HTTP/2 cannot carry; the call still succeeds.
    }
  });
  return metadata;
}
