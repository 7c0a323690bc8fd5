// The commands waiting to ship, in the order they go out, and the rule for
// what a full queue refuses. The batching sink owns one.
//
// - Two lanes. Starts of spans whose parent is in another process (a SERVER or
//   CONSUMER span continuing a caller's trace) ship before everything else
//   queued, even in a call of their own beside the batch in flight: the caller
//   may end its root, completing the trace, as soon as this process answers,
//   and a completed trace accepts no new spans. Nothing of the span itself can
//   be queued before its start, so jumping ahead keeps each span's own commands
//   in order; while such a start is in flight on its own, the span's later
//   commands are held back (see peek).
// - A full queue refuses whole spans, not their ends. A start is refused once
//   `capacity` commands wait, and then every later command of that span is
//   refused with it (no end arrives for a span the server never saw). The end of
//   a span whose start was accepted is still taken, up to twice the capacity:
//   refusing it would leave the span running on the server until it is closed
//   as an orphan. Other commands of accepted spans (events, errors, attributes)
//   are refused while the queue is full; the span still ends with its status.
// - Every accepted command gets a sequence number, so that a flush can wait
//   for exactly the commands queued before it, however they are reordered by
//   the lanes and by retries.
// - The spans accepted and not yet ended are remembered (their trace and start
//   time only), so that shutdown can end them rather than leave them running.

import type { SpanCommand } from "../commands/span-command.js";

/** A span whose start was accepted and whose end has not been seen. */
export interface OpenSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly startTimeUnixNano: bigint;
}

export class CommandQueue {
  private urgent: SpanCommand[] = [];
  private normal: SpanCommand[] = [];
  private sequence = 0;
  /** Span ids whose start was refused; their later commands are refused too. Oldest first. */
  private readonly refusedSpans = new Set<string>();
  /** Accepted starts not yet ended, by span id. Oldest first. */
  private readonly open = new Map<string, OpenSpan>();

  constructor(
    private readonly capacity: number,
    /** How many refused or open spans are remembered; beyond it the oldest are forgotten. */
    private readonly memory = capacity,
  ) {}

  get length(): number {
    return this.urgent.length + this.normal.length;
  }

  /** The sequence number the next accepted command will get. */
  get nextSequence(): number {
    return this.sequence;
  }

  /** Accepts `command`, or says why it is refused. */
  offer(command: SpanCommand): string | undefined {
    const refusal = this.refusal(command);
    if (refusal !== undefined) return refusal;
    command.sequence = this.sequence++;
    if (command.type === "startSpan") {
      remember(this.open, command.spanId, { traceId: command.traceId, spanId: command.spanId, startTimeUnixNano: command.startTimeUnixNano }, this.memory);
      (command.parentIsRemote ? this.urgent : this.normal).push(command);
    } else {
      this.normal.push(command);
    }
    return undefined;
  }

  /** Starts waiting in the urgent lane. */
  get urgentLength(): number {
    return this.urgent.length;
  }

  /**
   * The first `max` commands in shipping order, left in the queue. It stops
   * before the first command of a span in `held` (whose start is in flight in
   * another call), as that command must not reach the server before its start.
   */
  peek(max: number, held: ReadonlySet<string>): SpanCommand[] {
    const commands = this.urgent.length === 0 ? (this.normal.length > max ? this.normal.slice(0, max) : this.normal) : this.urgent.concat(this.normal).slice(0, max);
    if (held.size === 0) return commands;
    const stop = commands.findIndex((c) => held.has(c.spanId));
    return stop < 0 ? commands : commands.slice(0, stop);
  }

  /** The first `max` starts of the urgent lane, left in the queue (remove them with remove()). */
  peekUrgent(max: number): SpanCommand[] {
    return this.urgent.slice(0, max);
  }

  /** Removes the first `count` commands in shipping order. */
  remove(count: number): void {
    const fromUrgent = Math.min(count, this.urgent.length);
    if (fromUrgent > 0) this.urgent = this.urgent.slice(fromUrgent);
    const fromNormal = count - fromUrgent;
    if (fromNormal > 0) this.normal = this.normal.length === fromNormal ? [] : this.normal.slice(fromNormal);
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

  /** The lowest sequence number still queued, or Infinity. */
  oldestSequence(): number {
    let oldest = Infinity;
    for (const lane of [this.urgent, this.normal]) for (const c of lane) if (c.sequence !== undefined && c.sequence < oldest) oldest = c.sequence;
    return oldest;
  }

  /** The spans accepted and not ended, forgetting them. */
  takeOpenSpans(): OpenSpan[] {
    const spans = [...this.open.values()];
    this.open.clear();
    return spans;
  }

  private refusal(command: SpanCommand): string | undefined {
    const full = this.length >= this.capacity;
    if (command.type === "startSpan") {
      if (!full) return undefined;
      remember(this.refusedSpans, command.spanId, undefined, this.memory);
      return `the queue is full (${this.capacity} commands)`;
    }
    const ends = command.type === "endSpan";
    if (ends) this.open.delete(command.spanId);
    if (this.refusedSpans.has(command.spanId)) {
      if (ends) this.refusedSpans.delete(command.spanId);
      return "the start of its span was dropped";
    }
    if (!full) return undefined;
    if (ends && this.length < 2 * this.capacity) return undefined;
    return `the queue is full (${this.capacity} commands)`;
  }
}

/** Adds `key` to a set or map that keeps at most `limit` entries, forgetting the oldest. */
function remember<V>(store: Set<string> | Map<string, V>, key: string, value: V, limit: number): void {
  if (store instanceof Set) store.add(key);
  else store.set(key, value);
  if (store.size > limit) store.delete(store.keys().next().value!);
}
