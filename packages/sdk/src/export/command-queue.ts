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

export class CommandQueue {
  private urgent: SpanCommand[] = [];
  private normal: SpanCommand[] = [];
  /** Span ids whose start was refused; their later commands are refused too. Oldest first. */
  private readonly refusedSpans = new Set<string>();
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
  offer(command: SpanCommand): string | undefined {
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

  private refusal(command: SpanCommand): string | undefined {
    const full = this.length >= this.capacity;
    if (command.type === "startSpan") {
      if (!full) return undefined;
      this.refusedSpans.add(command.spanId);
      if (this.refusedSpans.size > this.memory) this.refusedSpans.delete(this.refusedSpans.keys().next().value!);
      return `the queue is full (${this.capacity} commands)`;
    }
    const ends = command.type === "endSpan";
    if (this.refusedSpans.size > 0 && this.refusedSpans.has(command.spanId)) {
      if (ends) this.refusedSpans.delete(command.spanId);
      return "the start of its span was dropped";
    }
    if (!full) return undefined;
    if (ends && this.length < 2 * this.capacity) return undefined;
    return `the queue is full (${this.capacity} commands)`;
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
