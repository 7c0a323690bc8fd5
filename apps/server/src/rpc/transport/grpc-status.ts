// A ConnectError as a grpc-js status. Error details travel the way every gRPC
// library reads them: a google.rpc.Status in the grpc-status-details-bin
// trailer, each detail packed in a google.protobuf.Any. connect-es codes use
// the gRPC numbers, so the code passes through unchanged.

import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import type { ConnectError } from "@connectrpc/connect";
import type { Metadata, StatusObject } from "@grpc/grpc-js";
import { RpcStatusSchema } from "@traceledger/proto/google-rpc";
import { appendHeadersToMetadata } from "./grpc-metadata.js";

export const STATUS_DETAILS_KEY = "grpc-status-details-bin";

export function toGrpcStatus(error: ConnectError, trailers?: Metadata): StatusObject {
  const metadata = appendHeadersToMetadata(error.metadata, trailers);
  if (error.details.length > 0) {
    const status = create(RpcStatusSchema, {
      code: error.code,
      message: error.rawMessage,
      details: error.details.map((detail) =>
        "desc" in detail
          ? anyPack(detail.desc, create(detail.desc, detail.value))
          : { typeUrl: `type.googleapis.com/${detail.type}`, value: detail.value },
      ),
    });
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(toBinary(RpcStatusSchema, status)));
  }
  return { code: error.code as number, details: error.rawMessage, metadata };
}
