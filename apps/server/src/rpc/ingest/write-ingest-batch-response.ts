// IngestBatchResponse bytes written by hand from the bus's results: the same
// bytes as protobuf-es toBinary of the messages testing/batch-result.ts builds
// (fields in number order, defaults left out, a set oneof member always
// written), held to it by a spec. Building a CommandResult message per command
// with create() and encoding it by reflection cost more server time per batch
// than deciding it.

import type { CommandResult } from "../../commands/command-result.js";
import { formatTraceparent } from "../../domain/trace/traceparent.js";
import { codeNumber } from "../rpc-error.js";

/** CommandResult oneof field numbers (tracing_service.proto). */
const START_TRACE = 1;
const START_SPAN = 2;
const END_SPAN = 3;
const RECORD_ERROR = 4;
const ADD_SPAN_EVENT = 5;
const SET_SPAN_ATTRIBUTES = 6;
const ERROR = 7;

class Writer {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(n: number): void {
    this.ensure(10);
    const buf = this.buf;
    while (n > 0x7f) {
      buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    buf[this.pos++] = n;
  }

  varint64(n: bigint): void {
    if (n >= 0n && n <= 0x1fffffffffffffn) return this.varint(Number(n));
    this.ensure(10);
    let v = BigInt.asUintN(64, n);
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  tag(field: number, wireType: number): void {
    this.ensure(1);
    this.buf[this.pos++] = (field << 3) | wireType;
  }

  uint(field: number, v: number): void {
    if (v === 0) return;
    this.tag(field, 0);
    this.varint(v);
  }

  bool(field: number, v: boolean): void {
    if (!v) return;
    this.tag(field, 0);
    this.ensure(1);
    this.buf[this.pos++] = 1;
  }

  /** Ids: hex in, bytes out; the empty string writes nothing. */
  hexBytes(field: number, hex: string): void {
    if (hex === "") return;
    this.tag(field, 2);
    this.varint(hex.length >> 1);
    this.ensure(hex.length >> 1);
    this.pos += this.buf.write(hex, this.pos, "hex");
  }

  string(field: number, s: string, always = false): void {
    if (s === "" && !always) return;
    this.tag(field, 2);
    this.ensure(3 * s.length + 5);
    const mark = this.beginLength();
    this.pos += this.buf.write(s, this.pos, "utf8");
    this.endLength(mark);
  }

  /** Reserves one byte for a length; endLength widens it when the body needs more. */
  beginLength(): number {
    this.ensure(1);
    return this.pos++;
  }

  endLength(mark: number): void {
    const length = this.pos - mark - 1;
    if (length < 0x80) {
      this.buf[mark] = length;
      return;
    }
    let size = 1;
    for (let n = length; n > 0x7f; n = Math.floor(n / 128)) size++;
    this.ensure(size - 1);
    this.buf.copyWithin(mark + size, mark + 1, this.pos);
    this.pos += size - 1;
    let n = length;
    let i = mark;
    while (n > 0x7f) {
      this.buf[i++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[i] = n;
  }
}

/**
 * The response to a batch: one CommandResult per command, in order.
 * `startTrace(i)` tells a StartTrace from a StartSpan, which share an outcome.
 */
export function writeIngestBatchResponse(results: readonly CommandResult[], startTrace: (index: number) => boolean): Uint8Array {
  const w = new Writer(64 + 48 * results.length);
  for (let i = 0; i < results.length; i++) {
    w.tag(1, 2);
    const outer = w.beginLength();
    writeResult(w, results[i]!, startTrace(i));
    w.endLength(outer);
  }
  return new Uint8Array(w.buf.buffer, w.buf.byteOffset, w.pos);
}

function writeResult(w: Writer, result: CommandResult, startTrace: boolean): void {
  if (!result.ok) {
    const e = result.error;
    w.tag(ERROR, 2);
    const at = w.beginLength();
    w.uint(1, codeNumber(e.kind));
    w.string(2, e.reason);
    w.string(3, e.message);
    for (const key of Object.keys(e.metadata)) {
      w.tag(4, 2);
      const entry = w.beginLength();
      w.string(1, key, true);
      w.string(2, e.metadata[key]!, true);
      w.endLength(entry);
    }
    w.endLength(at);
    return;
  }
  const o = result.outcome;
  switch (o.type) {
    case "SpanStarted": {
      w.tag(startTrace ? START_TRACE : START_SPAN, 2);
      const at = w.beginLength();
      w.hexBytes(1, result.traceId);
      w.hexBytes(2, o.spanId);
      w.string(3, formatTraceparent(result.traceId, o.spanId, o.flags));
      w.uint(4, o.version);
      if (startTrace) {
        w.uint(5, o.limited);
      } else {
        w.bool(5, o.traceStarted);
        w.uint(6, o.limited);
      }
      w.endLength(at);
      return;
    }
    case "SpanEnded": {
      w.tag(END_SPAN, 2);
      const at = w.beginLength();
      w.uint(1, o.version);
      if (o.durationNano !== 0n) {
        w.tag(2, 0);
        w.varint64(o.durationNano);
      }
      w.bool(3, o.traceCompleted);
      w.endLength(at);
      return;
    }
    case "ErrorRecorded":
    case "EventRecorded": {
      w.tag(o.type === "ErrorRecorded" ? RECORD_ERROR : ADD_SPAN_EVENT, 2);
      const at = w.beginLength();
      w.string(1, o.type === "ErrorRecorded" ? o.errorId : o.eventId);
      w.uint(2, o.version);
      w.endLength(at);
      return;
    }
    case "AttributesSet": {
      w.tag(SET_SPAN_ATTRIBUTES, 2);
      const at = w.beginLength();
      w.string(1, o.updateId);
      w.uint(2, o.version);
      w.uint(3, o.limited);
      w.endLength(at);
      return;
    }
    case "SpanClosed":
    case "TraceClosed":
    case "FinishedSpansRecorded":
      throw new Error(`${o.type} is not a batch command`);
  }
}
