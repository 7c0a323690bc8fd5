// Our enums as the spanmetrics connector writes them: OpenTelemetry's
// protobuf enum names. Our zero status is STATUS_CODE_UNSPECIFIED (buf lint),
// which OpenTelemetry calls STATUS_CODE_UNSET; the label uses OTel's name.

import { SpanKind, StatusCode } from "@traceledger/proto";

const SPAN_KINDS: Readonly<Record<number, string>> = {
  [SpanKind.UNSPECIFIED]: "SPAN_KIND_UNSPECIFIED",
  [SpanKind.INTERNAL]: "SPAN_KIND_INTERNAL",
  [SpanKind.SERVER]: "SPAN_KIND_SERVER",
  [SpanKind.CLIENT]: "SPAN_KIND_CLIENT",
  [SpanKind.PRODUCER]: "SPAN_KIND_PRODUCER",
  [SpanKind.CONSUMER]: "SPAN_KIND_CONSUMER",
};

const STATUS_CODES: Readonly<Record<number, string>> = {
  [StatusCode.UNSPECIFIED]: "STATUS_CODE_UNSET",
  [StatusCode.OK]: "STATUS_CODE_OK",
  [StatusCode.ERROR]: "STATUS_CODE_ERROR",
};

/** An enum value this build does not know keeps its number visible rather than vanishing. */
export function spanKindLabel(kind: SpanKind): string {
  return SPAN_KINDS[kind] ?? `SPAN_KIND_${kind}`;
}

export function statusCodeLabel(code: StatusCode): string {
  return STATUS_CODES[code] ?? `STATUS_CODE_${code}`;
}
