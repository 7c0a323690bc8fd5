// Reads an IngestBatchResponse that arrived as the unknown fields of an empty
// message (see batch-request.ts). A CommandResult is a oneof, so its first tag
// says everything: field 7 is a CommandError, decoded with the generated schema;
// any other field is a success, and is not decoded at all.

import { fromBinary } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
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
  const cursor = { pos: 0 };
  const length = varint(data, cursor);
  const end = cursor.pos + length;
  if (length === 0) return undefined; // an empty oneof: nothing went wrong
  const tag = varint(data, cursor);
  if (tag >>> 3 !== ERROR_FIELD) return undefined;
  if ((tag & 7) !== WireType.LengthDelimited) return MALFORMED;
  const size = varint(data, cursor);
  if (cursor.pos + size > end || end > data.length) return MALFORMED;
  const error = fromBinary(CommandErrorSchema, data.subarray(cursor.pos, cursor.pos + size));
  return { code: error.code, reason: error.reason, message: error.message };
}

/** A varint of up to 32 bits (lengths and tags). */
function varint(data: Uint8Array, cursor: { pos: number }): number {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    const byte = data[cursor.pos++] ?? 0;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  return value;
}
