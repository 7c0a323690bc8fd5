// How an export request is compressed on the way to the collector: the values
// the OTLP exporter specification defines for OTEL_EXPORTER_OTLP_COMPRESSION.
// Each transport applies it its own way (OTLP/HTTP: the body with
// Content-Encoding; gRPC: the message with grpc-encoding). The request size
// limits are about the protobuf before compression, as collectors' limits are.

export type OtlpCompression = "gzip" | "none";

/** The specification's enum values are case-insensitive; undefined for anything else. */
export function parseOtlpCompression(raw: string): OtlpCompression | undefined {
  const value = raw.toLowerCase();
  return value === "gzip" || value === "none" ? value : undefined;
}
