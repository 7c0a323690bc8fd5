// IngestBatch requests read from the wire on the gRPC door, instead of decoding
// every command with protobuf-es first: StartTrace, StartSpan and EndSpan (what
// span-lifecycle clients send in bulk) are read field by field into request
// literals for to-command.ts, with each attribute keeping where its bytes are
// (WireEncoded), so the stored event copies them instead of encoding them again.
//
// Everything else keeps protobuf-es's meaning exactly: a command of another
// kind, with links, or written unusually (two members of the oneof, a field
// with an unexpected wire type, invalid UTF-8) is decoded by protobuf-es on its
// own; a request this reader cannot parse at all is decoded by protobuf-es as a
// whole, which throws for a malformed one as before (INVALID_ARGUMENT).
//
// The message the reader returns is an empty IngestBatchRequest: only
// readIngestBatch may look at it.

import { fromBinary } from "@bufbuild/protobuf";
import {
  IngestBatchRequestSchema,
  TracingCommandSchema,
  type EndSpanRequest,
  type IngestBatchRequest,
  type StartSpanRequest,
  type StartTraceRequest,
} from "@traceledger/proto";
import type { TraceCommand } from "../../domain/trace/trace-commands.js";
import type { TraceError } from "../../domain/trace/trace-error.js";
import { DECODE_OPTIONS } from "../transport/decode-recursion-limit.js";
import { ProtobufCursor } from "../../otlp-ingest/protobuf-cursor.js";
import { readKeyValue } from "../../otlp-ingest/read-attributes.js";
import { batchCommand, endSpanCommand, startSpanCommand, startTraceCommand } from "../to-command.js";

/** A batch's commands as the domain takes them, with what the response needs to know of each. */
interface IngestBatchCommands {
  /** Per command: the command, or why its request is not one. */
  readonly commands: ReadonlyArray<TraceCommand | TraceError>;
  /** Per command: it is a StartTrace (its result is a StartTraceResponse). */
  readonly startTrace: readonly boolean[];
}

const received = new WeakMap<IngestBatchRequest, IngestBatchCommands>();

/** The gRPC door's request reader for IngestBatch. */
export function readIngestBatchLazily(bytes: Uint8Array): IngestBatchRequest {
  let read: IngestBatchCommands;
  try {
    read = readCommands(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    // protobuf-es decides what the bytes mean (and throws for malformed ones).
    return fromBinary(IngestBatchRequestSchema, bytes, DECODE_OPTIONS);
  }
  const request: IngestBatchRequest = { $typeName: "traceledger.v1.IngestBatchRequest", commands: [] };
  received.set(request, read);
  return request;
}

/** The commands of a request, however it arrived. */
export function readIngestBatch(request: IngestBatchRequest): IngestBatchCommands {
  const read = received.get(request);
  if (read) return read;
  return {
    commands: request.commands.map(batchCommand),
    startTrace: request.commands.map((c) => c.command.case === "startTrace"),
  };
}

/** Thrown where this reader leaves the bytes to protobuf-es. */
class Unusual extends Error {}
const unusual = new Unusual();

function readCommands(buf: Buffer): IngestBatchCommands {
  const c = new ProtobufCursor(buf);
  const commands: Array<TraceCommand | TraceError> = [];
  const startTrace: boolean[] = [];
  while (c.pos < buf.length) {
    const tag = c.tag();
    if (tag !== 0x0a) {
      c.skip(tag & 7);
      continue;
    }
    const end = c.lengthEnd();
    const start = c.pos;
    const command = end > start ? readCommand(c, end) : undefined;
    if (command) {
      commands.push(command.command);
      startTrace.push(command.startTrace);
    } else {
      // Another kind of command, or one written unusually: protobuf-es reads it.
      const decoded = fromBinary(TracingCommandSchema, buf.subarray(start, end), DECODE_OPTIONS);
      commands.push(batchCommand(decoded));
      startTrace.push(decoded.command.case === "startTrace");
    }
    c.pos = end;
  }
  return { commands, startTrace };
}

/** One TracingCommand of a common kind; undefined to leave it to protobuf-es. */
function readCommand(c: ProtobufCursor, end: number): { command: TraceCommand | TraceError; startTrace: boolean } | undefined {
  const tag = c.tag();
  const memberEnd = c.lengthEnd();
  // One member, filling the command: anything else (a merge of two members) is protobuf-es's.
  if ((tag & 7) !== 2 || memberEnd !== end) return undefined;
  const invalidBefore = c.invalidUtf8;
  let command: TraceCommand | TraceError;
  try {
    switch (tag >>> 3) {
      case 1:
        command = startTraceCommand(readStartTrace(c, end));
        break;
      case 2:
        command = startSpanCommand(readStartSpan(c, end));
        break;
      case 3:
        command = endSpanCommand(readEndSpan(c, end));
        break;
      default:
        return undefined;
    }
  } catch (error) {
    if (error instanceof Unusual) return undefined;
    throw error;
  }
  // protobuf-es refuses strings that are not UTF-8; so will the fallback.
  if (c.invalidUtf8 !== invalidBefore) return undefined;
  return { command, startTrace: tag >>> 3 === 1 };
}

function expect(tag: number, wireType: number): void {
  if ((tag & 7) !== wireType) throw unusual;
}

/** A bytes field as a view of the request (protobuf-es's reader returns views too). */
function view(c: ProtobufCursor): Uint8Array {
  const end = c.lengthEnd();
  const bytes = new Uint8Array(c.buf.buffer, c.buf.byteOffset + c.pos, end - c.pos);
  c.pos = end;
  return bytes;
}

const EMPTY = new Uint8Array(0);

function readStartTrace(c: ProtobufCursor, end: number): StartTraceRequest {
  const r: StartTraceRequest = {
    $typeName: "traceledger.v1.StartTraceRequest",
    traceId: EMPTY,
    spanId: EMPTY,
    name: "",
    kind: 0,
    serviceName: "",
    startTimeUnixNano: 0n,
    attributes: [],
    resourceAttributes: [],
    requestId: "",
    tracestate: "",
    links: [],
    scopeName: "",
    scopeVersion: "",
    randomTraceId: false,
  };
  while (c.pos < end) {
    const tag = c.tag();
    switch (tag >>> 3) {
      case 1:
        expect(tag, 2);
        r.traceId = view(c);
        break;
      case 2:
        expect(tag, 2);
        r.spanId = view(c);
        break;
      case 3:
        expect(tag, 2);
        r.name = c.string();
        break;
      case 4:
        expect(tag, 0);
        r.kind = c.uint32() | 0;
        break;
      case 5:
        expect(tag, 2);
        r.serviceName = c.string();
        break;
      case 6:
        expect(tag, 1);
        r.startTimeUnixNano = c.fixed64();
        break;
      case 7:
        expect(tag, 2);
        r.attributes.push(readKeyValue(c));
        break;
      case 8:
        expect(tag, 2);
        r.resourceAttributes.push(readKeyValue(c));
        break;
      case 9:
        expect(tag, 2);
        r.requestId = c.string();
        break;
      case 10:
        expect(tag, 2);
        r.tracestate = c.string();
        break;
      case 12:
        expect(tag, 2);
        r.scopeName = c.string();
        break;
      case 13:
        expect(tag, 2);
        r.scopeVersion = c.string();
        break;
      case 14:
        expect(tag, 0);
        r.randomTraceId = c.int64() !== 0n;
        break;
      default:
        // Links (11) and fields this server does not know.
        throw unusual;
    }
  }
  c.endOf(end);
  return r;
}

function readStartSpan(c: ProtobufCursor, end: number): StartSpanRequest {
  const r: StartSpanRequest = {
    $typeName: "traceledger.v1.StartSpanRequest",
    traceId: EMPTY,
    spanId: EMPTY,
    parentSpanId: EMPTY,
    traceparent: "",
    parentIsRemote: false,
    tracestate: "",
    name: "",
    kind: 0,
    serviceName: "",
    startTimeUnixNano: 0n,
    attributes: [],
    links: [],
    resourceAttributes: [],
    requestId: "",
    scopeName: "",
    scopeVersion: "",
    randomTraceId: false,
  };
  while (c.pos < end) {
    const tag = c.tag();
    switch (tag >>> 3) {
      case 1:
        expect(tag, 2);
        r.traceId = view(c);
        break;
      case 2:
        expect(tag, 2);
        r.spanId = view(c);
        break;
      case 3:
        expect(tag, 2);
        r.parentSpanId = view(c);
        break;
      case 4:
        expect(tag, 2);
        r.traceparent = c.string();
        break;
      case 5:
        expect(tag, 0);
        r.parentIsRemote = c.int64() !== 0n;
        break;
      case 6:
        expect(tag, 2);
        r.tracestate = c.string();
        break;
      case 7:
        expect(tag, 2);
        r.name = c.string();
        break;
      case 8:
        expect(tag, 0);
        r.kind = c.uint32() | 0;
        break;
      case 9:
        expect(tag, 2);
        r.serviceName = c.string();
        break;
      case 10:
        expect(tag, 1);
        r.startTimeUnixNano = c.fixed64();
        break;
      case 11:
        expect(tag, 2);
        r.attributes.push(readKeyValue(c));
        break;
      case 13:
        expect(tag, 2);
        r.resourceAttributes.push(readKeyValue(c));
        break;
      case 14:
        expect(tag, 2);
        r.requestId = c.string();
        break;
      case 15:
        expect(tag, 2);
        r.scopeName = c.string();
        break;
      case 16:
        expect(tag, 2);
        r.scopeVersion = c.string();
        break;
      case 17:
        expect(tag, 0);
        r.randomTraceId = c.int64() !== 0n;
        break;
      default:
        // Links (12) and fields this server does not know.
        throw unusual;
    }
  }
  c.endOf(end);
  return r;
}

function readEndSpan(c: ProtobufCursor, end: number): EndSpanRequest {
  const r: EndSpanRequest = {
    $typeName: "traceledger.v1.EndSpanRequest",
    traceId: EMPTY,
    spanId: EMPTY,
    traceparent: "",
    endTimeUnixNano: 0n,
    status: undefined,
    endReason: 0,
    attributes: [],
    name: "",
  };
  while (c.pos < end) {
    const tag = c.tag();
    switch (tag >>> 3) {
      case 1:
        expect(tag, 2);
        r.traceId = view(c);
        break;
      case 2:
        expect(tag, 2);
        r.spanId = view(c);
        break;
      case 3:
        expect(tag, 2);
        r.traceparent = c.string();
        break;
      case 4:
        expect(tag, 1);
        r.endTimeUnixNano = c.fixed64();
        break;
      case 5: {
        expect(tag, 2);
        // A second Status merges into the first, field by field, as protobuf does.
        const status = (r.status ??= { $typeName: "traceledger.v1.Status", message: "", code: 0 });
        const statusEnd = c.lengthEnd();
        while (c.pos < statusEnd) {
          const inner = c.tag();
          if (inner === 0x12) status.message = c.string();
          else if (inner === 0x18) status.code = c.uint32() | 0;
          else throw unusual;
        }
        c.endOf(statusEnd);
        break;
      }
      case 6:
        expect(tag, 0);
        r.endReason = c.uint32() | 0;
        break;
      case 7:
        expect(tag, 2);
        r.attributes.push(readKeyValue(c));
        break;
      case 8:
        expect(tag, 2);
        r.name = c.string();
        break;
      default:
        throw unusual;
    }
  }
  c.endOf(end);
  return r;
}
