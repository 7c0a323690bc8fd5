// opentelemetry.proto.collector.trace.v1.TraceService/Export, served by both
// doors like TracingService (OTLP/gRPC on the gRPC port). Failures follow the
// OTLP specification: bad data is INVALID_ARGUMENT (never retried), a
// retryable condition is UNAVAILABLE, each with one google.rpc.ErrorInfo; a
// retryable one also carries a google.rpc.RetryInfo, the gRPC form of OTLP/HTTP's
// Retry-After, which stock exporters wait out before they send again.

import { create } from "@bufbuild/protobuf";
import { ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "@traceledger/proto/google-rpc";
import { ExportTraceServiceResponseSchema, type OtlpTraceService } from "@traceledger/proto/otlp";
import { exportRequestBytes } from "./export-request-bytes.js";
import { failureDetails, OtlpFailure, otlpFailureCode } from "./otlp-failure.js";
import type { OtlpIngest } from "./otlp-ingest.js";

export function createOtlpTraceService(ingest: OtlpIngest): ServiceImpl<typeof OtlpTraceService> {
  return {
    async export(request) {
      try {
        const result = await ingest.export(exportRequestBytes(request));
        return create(ExportTraceServiceResponseSchema, {
          // Left unset on full success, as the specification asks.
          partialSuccess: result.rejectedSpans > 0 ? { rejectedSpans: BigInt(result.rejectedSpans), errorMessage: result.errorMessage } : undefined,
        });
      } catch (error) {
        if (error instanceof OtlpFailure) throw otlpConnectError(error);
        throw error;
      }
    },
  };
}

function otlpConnectError(failure: OtlpFailure): ConnectError {
  const { errorInfo, retryInfo, badRequest } = failureDetails(failure);
  const details = [
    { desc: ErrorInfoSchema, value: errorInfo },
    ...(retryInfo ? [{ desc: RetryInfoSchema, value: retryInfo }] : []),
    ...(badRequest ? [{ desc: BadRequestSchema, value: badRequest }] : []),
  ];
  return new ConnectError(failure.message, otlpFailureCode[failure.kind], undefined, details);
}
