// The commands waiting to ship, in the order they go out, and the rule for
// what a full queue refuses. The batching sink owns one.
//
// - Two lanes. Starts of spans whose parent is in another process (typically a
//   SERVER or CONSUMER span continuing a caller's trace) ship before everything else
//   queued, even in a call of their own beside the batch in flight: the caller
//   may end its root, completing the trace, as soon as this process answers,
//   and a completed trace accepts no new spans. Nothing of the span itself can
//   be queued before its start, so jumping ahead keeps each span's own commands
//   in order; while such a start is in flight on its own, the later commands of
//   its trace (the span's own, and its children's starts, which need their
//   parent's) are held back (see peek).
// - A full queue refuses whole spans, not their ends. A start is refused once
//   `capacity` commands wait, and then every later command of that span is
//   refused with it (no end arrives for a span the server never saw). The end of
//   a span whose start was accepted is still taken, up to twice the capacity:
//   refusing it would leave the span running on the server until it is closed
//   as an orphan. Other commands of accepted spans (events, errors, attributes)
//   are refused while the queue is full; the span still ends with its status.
// - A dropped start takes its subtree with it: the starts of its children in
//   this process (parent local, not remote), and theirs, are refused too, as the
//   server would reject them (PARENT_SPAN_NOT_FOUND), and so are their later
//   commands. That holds for a start the sender drops as well (dropSpans(): too
//   large to send, or refused by the server for good), which also removes what
//   of the subtree is queued already.
//   A dropped span is remembered until its end is refused (or, beyond `memory`
//   of them, at least DROPPED_MEMORY_FLOOR, the oldest is forgotten): a subtree
//   takes an entry per open span, which a tiny queue's capacity would not hold.
//   A child started after its parent ended is no longer known to belong to a
//   dropped span.
// - A flush stamps the commands queued when it is called (stamp()), so that it
//   can wait for exactly those, however the lanes and retries reorder them.
//   Stamping at flush time, not when a command is accepted, keeps the
//   application's path free of it.
// - The spans whose start left the queue and whose end has not are remembered
//   (as their start command), so that shutdown can end them rather than leave
//   them running. The bookkeeping happens as commands leave for the wire (the
//   sender's time), not as the application submits them.

import type { SpanCommand, StartSpanCommand } from "../commands/span-command.js";

/** A span whose start was accepted and whose end has not been seen: its start command. */
export type OpenSpan = Pick<StartSpanCommand, "traceId" | "spanId" | "startTimeUnixNano">;

/** Why a span was dropped: the queue was full, its start could not be sent at all (too large), or the server refused it for good. */
export type DropCause = "queueFull" | "unsendable" | "refused";

/** Why the queue refused a command. */
export interface Refusal {
  readonly reason: string;
  readonly cause: DropCause;
}

/** Dropped spans remembered at the least, whatever the capacity: ids cost bytes, a forgotten root costs its subtree's rejections. */
const DROPPED_MEMORY_FLOOR = 1024;

export class CommandQueue {
  private urgent: SpanCommand[] = [];
  private normal: SpanCommand[] = [];
  /** Span ids whose start was dropped, with why; their later commands and children are refused too. Oldest first. */
  private readonly droppedSpans = new Map<string, DropCause>();
  /** Starts that left the queue, by span id, until their end leaves it. Oldest first. */
  private readonly open = new Map<string, StartSpanCommand>();

  constructor(
    private readonly capacity: number,
    /** How many refused or open spans are remembered; beyond it the oldest are forgotten. */
    private readonly memory = capacity,
  ) {}

  get length(): number {
    return this.urgent.length + this.normal.length;
  }

  /** Accepts `command`, or says why it is refused. */
  offer(command: SpanCommand): Refusal | undefined {
    const refusal = this.refusal(command);
    if (refusal !== undefined) return refusal;
    if (command.type === "startSpan" && command.parentIsRemote) this.urgent.push(command);
    else this.normal.push(command);
    return undefined;
  }

  /** Starts waiting in the urgent lane. */
  get urgentLength(): number {
    return this.urgent.length;
  }

  /**
   * The first `max` commands in shipping order, left in the queue. It stops
   * before the first command of a trace in `held` (a start of it is in flight in
   * another call), as that command may need the start to be stored first.
   */
  peek(max: number, held: ReadonlySet<string>): SpanCommand[] {
    const commands =
      this.urgent.length === 0
        ? this.normal.length > max
          ? this.normal.slice(0, max)
          : this.normal
        : this.urgent.length >= max
          ? this.urgent.slice(0, max)
          : this.urgent.concat(this.normal.slice(0, max - this.urgent.length));
    if (held.size === 0) return commands;
    const stop = commands.findIndex((c) => held.has(c.traceId));
    return stop < 0 ? commands : commands.slice(0, stop);
  }

  /** The first `max` starts of the urgent lane, left in the queue (remove them with remove()). */
  peekUrgent(max: number): SpanCommand[] {
    return this.urgent.slice(0, max);
  }

  /** Removes the first `count` commands in shipping order (they are being sent). */
  remove(count: number): void {
    const fromUrgent = Math.min(count, this.urgent.length);
    if (fromUrgent > 0) {
      this.noteLeaving(this.urgent, fromUrgent);
      this.urgent = this.urgent.slice(fromUrgent);
    }
    const fromNormal = count - fromUrgent;
    if (fromNormal > 0) {
      this.noteLeaving(this.normal, fromNormal);
      this.normal = this.normal.length === fromNormal ? [] : this.normal.slice(fromNormal);
    }
  }

  /**
   * Puts commands taken earlier back, in their order, ahead of the other
   * commands (a retry). Urgent starts stay ahead of them: each is its span's
   * first command, so nothing taken earlier can need to precede it.
   */
  putBack(commands: readonly SpanCommand[]): void {
    this.normal = [...commands, ...this.normal];
  }

  /** Empties the queue; returns how many commands it held. */
  clear(): number {
    const count = this.length;
    this.urgent = [];
    this.normal = [];
    return count;
  }

  /** Stamps every queued command not stamped yet with `flush`. */
  stamp(flush: number): void {
    stampAll(this.urgent, flush);
    stampAll(this.normal, flush);
  }

  /** The lowest stamp among the queued commands, or Infinity. */
  oldestStamp(): number {
    return Math.min(oldestStampOf(this.urgent), oldestStampOf(this.normal));
  }

  /** Whether a span's start left the queue and its end has not. */
  get hasOpenSpans(): boolean {
    return this.open.size > 0;
  }

  /** The spans accepted whose end was not (sent or queued), forgetting them. */
  takeOpenSpans(): OpenSpan[] {
    this.noteLeaving(this.urgent, this.urgent.length);
    this.noteLeaving(this.normal, this.normal.length);
    const spans = [...this.open.values()];
    this.open.clear();
    return spans;
  }

  private refusal(command: SpanCommand): Refusal | undefined {
    const full = this.length >= this.capacity;
    if (command.type === "startSpan") {
      const parentDropped = command.parentIsRemote || this.droppedSpans.size === 0 ? undefined : this.droppedSpans.get(command.parentSpanId);
      if (parentDropped !== undefined) {
        this.rememberDropped(command.spanId, parentDropped);
        return { reason: "the start of its parent span was dropped", cause: parentDropped };
      }
      if (!full) return undefined;
      this.rememberDropped(command.spanId, "queueFull");
      return { reason: `the queue is full (${this.capacity} commands)`, cause: "queueFull" };
    }
    const ends = command.type === "endSpan";
    const dropped = this.droppedSpans.size === 0 ? undefined : this.droppedSpans.get(command.spanId);
    if (dropped !== undefined) {
      if (ends) this.droppedSpans.delete(command.spanId);
      return { reason: "the start of its span was dropped", cause: dropped };
    }
    if (!full) return undefined;
    if (ends && this.length < 2 * this.capacity) return undefined;
    return { reason: `the queue is full (${this.capacity} commands)`, cause: "queueFull" };
  }

  /**
   * Remembers the spans of these starts as dropped (the sender could not send
   * them), so that what comes later of them and of their children is refused,
   * and removes what of them is queued already; returns how many commands it
   * removed.
   */
  dropSpans(starts: readonly SpanCommand[], cause: DropCause): number {
    const ids = new Set<string>();
    for (const c of starts) if (c.type === "startSpan") ids.add(c.spanId);
    if (ids.size === 0) return 0;
    // Queue order puts a span's start before its children's: one pass finds the whole subtree.
    const keep = (c: SpanCommand): boolean => {
      if (c.type === "startSpan" && !c.parentIsRemote && ids.has(c.parentSpanId)) ids.add(c.spanId);
      else if (!ids.has(c.spanId)) return true;
      if (c.type === "endSpan") ids.delete(c.spanId);
      return false;
    };
    const before = this.length;
    this.normal = this.normal.filter(keep);
    for (const id of ids) this.rememberDropped(id, cause);
    return before - this.length;
  }

  private rememberDropped(spanId: string, cause: DropCause): void {
    this.droppedSpans.set(spanId, cause);
    if (this.droppedSpans.size > Math.max(this.memory, DROPPED_MEMORY_FLOOR)) this.droppedSpans.delete(this.droppedSpans.keys().next().value!);
  }

  /** Forgets the spans of these starts: they failed or were dropped, so the server has no span to end. */
  forgetStarts(commands: readonly SpanCommand[]): void {
    for (const c of commands) if (c.type === "startSpan") this.open.delete(c.spanId);
  }

  /** Keeps `open` up to date with the first `count` commands of `lane`, which are leaving it. */
  private noteLeaving(lane: readonly SpanCommand[], count: number): void {
    for (let i = 0; i < count; i++) {
      const c = lane[i]!;
      if (c.type === "startSpan") {
        this.open.set(c.spanId, c);
        if (this.open.size > this.memory) this.open.delete(this.open.keys().next().value!);
      } else if (c.type === "endSpan") {
        this.open.delete(c.spanId);
      }
    }
  }
}

export function stampAll(commands: readonly SpanCommand[], flush: number): void {
  for (const c of commands) c.flush ??= flush;
}

export function oldestStampOf(commands: readonly SpanCommand[]): number {
  let oldest = Infinity;
  for (const c of commands) if (c.flush !== undefined && c.flush < oldest) oldest = c.flush;
  return oldest;
}
