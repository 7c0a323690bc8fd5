// OTLP/gRPC requests reach the Export implementation as the bytes they arrived
// in: the gRPC door's reader for Export (readExportRequestLazily) decodes
// nothing and remembers the bytes, and ingest reads them straight from the wire
// (read-export-request.ts). Decoding 512 spans with protobuf-es only to read
// them again cost more than storing them. A request from the other door (Connect
// or gRPC-Web, already decoded by connect-node) is encoded back once.
//
// The message the reader returns is an empty ExportTraceServiceRequest: only
// exportRequestBytes may look at it.

import { toBinary } from "@bufbuild/protobuf";
import { ExportTraceServiceRequestSchema, type ExportTraceServiceRequest } from "@traceledger/proto/otlp";

const received = new WeakMap<ExportTraceServiceRequest, Uint8Array>();

export function readExportRequestLazily(bytes: Uint8Array): ExportTraceServiceRequest {
  const request: ExportTraceServiceRequest = { $typeName: "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest", resourceSpans: [] };
  received.set(request, bytes);
  return request;
}

export function exportRequestBytes(request: ExportTraceServiceRequest): Uint8Array {
  return received.get(request) ?? toBinary(ExportTraceServiceRequestSchema, request);
}
