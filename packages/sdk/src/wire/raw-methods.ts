// TracingService methods whose request and response are carried as raw bytes:
// the same RPC (same path, same wire format), but typed as an empty message so
// connect neither builds nor decodes protobuf-es objects on the hot path. The
// bytes live in the message's unknown fields (batch-request.ts, batch-results.ts).

import type { DescMethodUnary } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import { TracingService } from "@traceledger/proto";

type RawSchema = typeof EmptySchema;
type RawUnaryMethod = DescMethodUnary<RawSchema, RawSchema>;

export const rawIngestBatch: RawUnaryMethod = {
  ...TracingService.method.ingestBatch,
  input: EmptySchema,
  output: EmptySchema,
} as RawUnaryMethod;

export const RAW_TYPE_NAME = EmptySchema.typeName;
