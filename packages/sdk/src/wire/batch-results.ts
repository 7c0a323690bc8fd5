// Reads an IngestBatchResponse that arrived as the unknown fields of an empty
// message (see batch-request.ts). A CommandResult is a oneof, so its first tag
// says everything: field 7 is a CommandError, decoded with the generated schema;
// any other field is a success, and is not decoded at all.

import { fromBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { CommandErrorSchema } from "@traceledger/proto";

/** IngestBatchResponse.results */
const RESULTS_FIELD = 1;
/** CommandResult.error */
const ERROR_FIELD = 7;

export interface CommandFailure {
  /** The canonical gRPC code (google.rpc.Code). */
  readonly code: number;
  readonly reason: string;
  readonly message: string;
}

const MALFORMED: CommandFailure = { code: 13, reason: "MALFORMED_RESULT", message: "the server's result could not be read" };

/** One entry per result, in order: undefined for a success, or why the command was rejected. */
export function readBatchResults(unknownFields: ReadonlyArray<{ no: number; wireType: WireType; data: Uint8Array }> | undefined): Array<CommandFailure | undefined> {
  const results: Array<CommandFailure | undefined> = [];
  for (const field of unknownFields ?? []) {
    if (field.no !== RESULTS_FIELD || field.wireType !== WireType.LengthDelimited) continue;
    results.push(readResult(field.data));
  }
  return results;
}

/** `data` is the result's length prefix and its bytes. */
function readResult(data: Uint8Array): CommandFailure | undefined {
  let errorBytes: Uint8Array;
  try {
    const result = new BinaryReader(data).bytes();
    if (result.length === 0) return undefined; // an empty oneof: nothing went wrong
    const reader = new BinaryReader(result);
    const [field, wireType] = reader.tag();
    if (field !== ERROR_FIELD) return undefined;
    if (wireType !== WireType.LengthDelimited) return MALFORMED;
    errorBytes = reader.bytes();
  } catch {
    return MALFORMED; // truncated: a length runs past the end of the result
  }
  const error = fromBinary(CommandErrorSchema, errorBytes);
  return { code: error.code, reason: error.reason, message: error.message };
}
