// google.rpc.RetryInfo from a gRPC status's details (the grpc-status-details-bin
// trailer, a google.rpc.Status): how long the server asks the client to wait.
// OTLP collectors send it with RESOURCE_EXHAUSTED when the client may retry.
// RetryInfo is one Duration field; it is read from the wire directly rather
// than generated for one field.

import { fromBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { RpcStatusSchema } from "@traceledger/proto/google-rpc";

const RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo";

/** The RetryInfo delay in milliseconds, or undefined when the details hold none (or do not decode). */
export function retryInfoDelayMs(statusDetails: Uint8Array | undefined): number | undefined {
  if (!statusDetails || statusDetails.length === 0) return undefined;
  try {
    const status = fromBinary(RpcStatusSchema, statusDetails);
    const info = status.details.find((any) => any.typeUrl === RETRY_INFO_TYPE);
    return info ? retryDelayMs(info.value) : undefined;
  } catch {
    return undefined;
  }
}

/** RetryInfo { google.protobuf.Duration retry_delay = 1; }, Duration { int64 seconds = 1; int32 nanos = 2; }. */
function retryDelayMs(retryInfo: Uint8Array): number {
  const reader = new BinaryReader(retryInfo);
  let ms = 0;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field !== 1 || wireType !== WireType.LengthDelimited) {
      reader.skip(wireType);
      continue;
    }
    const duration = new BinaryReader(reader.bytes());
    let seconds = 0n;
    let nanos = 0;
    while (duration.pos < duration.len) {
      const [f, w] = duration.tag();
      if (f === 1 && w === WireType.Varint) seconds = BigInt(duration.int64());
      else if (f === 2 && w === WireType.Varint) nanos = duration.int32();
      else duration.skip(w);
    }
    ms = Math.max(0, Number(seconds) * 1000 + Math.floor(nanos / 1e6));
  }
  return ms;
}
