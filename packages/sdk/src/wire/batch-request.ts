// An IngestBatchRequest written by hand (wire/command-encoder.ts) and handed to
// connect as the unknown fields of an empty message: protobuf writes unknown
// fields back verbatim, so the bytes on the wire are exactly
// IngestBatchRequest { commands = [...] }, with no protobuf-es objects built.

import type { Message } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import type { SpanCommand } from "../commands/span-command.js";
import { BATCH_COMMANDS_FIELD, encodeTracingCommand } from "./command-encoder.js";
import type { ProtoWriter } from "./proto-writer.js";

export interface EncodedBatch {
  /** The unknown fields that make an empty message carry the batch. */
  readonly unknownFields: Array<{ no: number; wireType: WireType; data: Uint8Array }>;
  /** The encoded size in bytes. */
  readonly bytes: number;
}

/**
 * Encodes `commands` while they fit in `maxBytes`: a command that would push the
 * batch past it is left for the next batch, so a batch is never over the limit.
 * A first command that is over the limit on its own can never be sent: it comes
 * back as `tooLarge` (its size), with `taken` 1 and nothing to send. Start
 * commands in the batch are sealed: changes made after this go as their own
 * commands. Returns how many were taken.
 *
 * The batch refers to the writer's buffer without copying it (large copies are
 * what makes the garbage collector work): it stays valid until the writer is
 * used again, so one writer serves one batch in flight at a time.
 */
export function encodeBatch(
  w: ProtoWriter,
  commands: readonly SpanCommand[],
  maxBytes: number,
): { batch: EncodedBatch; taken: number; tooLarge?: number } {
  w.reset();
  let taken = 0;
  for (const command of commands) {
    const before = w.pos;
    const wasSealed = command.type === "startSpan" ? command.sealed : false;
    if (command.type === "startSpan") command.sealed = true;
    w.tag(BATCH_COMMANDS_FIELD, WireType.LengthDelimited);
    const mark = w.begin();
    encodeTracingCommand(w, command);
    w.end(mark);
    if (w.pos > maxBytes) {
      const size = w.pos - before;
      w.pos = before;
      // Not in this batch after all: it may still change until it is.
      if (command.type === "startSpan") command.sealed = wasSealed;
      if (taken === 0) return { batch: { unknownFields: [], bytes: 0 }, taken: 1, tooLarge: size };
      break;
    }
    taken++;
  }
  const bytes = w.view();
  // The batch is `tag len command tag len command ...`, every tag the single byte
  // 0x0a (field 1, length-delimited). protobuf-es writes an
  // unknown field as its tag followed by its data, so ONE unknown field whose data
  // is everything after the first tag byte reproduces the batch exactly, with a
  // single copy instead of one object and one copy per command.
  const unknownFields = bytes.length === 0 ? [] : [{ no: BATCH_COMMANDS_FIELD, wireType: WireType.LengthDelimited, data: bytes.subarray(1) }];
  return { batch: { unknownFields, bytes: bytes.length }, taken };
}

/** The message connect sends: an empty message whose unknown fields are the batch. */
export function batchMessage<T extends Message>(typeName: T["$typeName"], batch: EncodedBatch): T {
  return { $typeName: typeName, $unknown: batch.unknownFields } as unknown as T;
}
