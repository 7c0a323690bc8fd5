// A server stream as a queue the test reads at its own pace, with a bound on
// every wait: next() gives the next message, ending() how the stream ended.
// Each kind of client (grpc-js events, a connect AsyncIterable, a fetch body)
// feeds one of these, so the watch tests read the same way whatever the client.

import { describeValue } from "./describe-value.js";
import { within } from "./wait.js";

export type StreamEnd = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

export class StreamReader<T> {
  private readonly buffered: T[] = [];
  private end: StreamEnd | undefined;
  private wake: (() => void) | undefined;

  push(message: T): void {
    if (this.end) return;
    this.buffered.push(message);
    this.poke();
  }

  finish(end: StreamEnd): void {
    if (this.end) return;
    this.end = end;
    this.poke();
  }

  /** The next message; fails when the stream ends first or nothing comes within `ms`. */
  async next(ms: number, what = "the next stream message"): Promise<T> {
    for (;;) {
      const message = this.buffered.shift();
      if (message !== undefined) return message;
      if (this.end) {
        throw new Error(`the stream ended (${this.end.ok ? "OK" : String(this.end.error)}) while waiting for ${what}`);
      }
      await within(ms, what, this.changed());
    }
  }

  /** Reads `count` messages. */
  async take(count: number, ms: number, what = "stream messages"): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(await this.next(ms, `${what} (#${i + 1} of ${count})`));
    return out;
  }

  /** How the stream ended, once it has; fails if a message comes first (unless drained) or it stays open. */
  async ending(ms: number, what = "the stream to end", options: { drain?: boolean } = {}): Promise<StreamEnd> {
    for (;;) {
      if (this.buffered.length > 0 && !options.drain) {
        throw new Error(`expected the stream to end, but it sent another message: ${describeValue(this.buffered[0])}`);
      }
      if (options.drain) this.buffered.length = 0;
      if (this.end) return this.end;
      await within(ms, what, this.changed());
    }
  }

  /** Messages received and not read yet. */
  get pending(): readonly T[] {
    return this.buffered;
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Reads an AsyncIterable (a connect server stream) into a StreamReader in the background. */
export function readIterable<T>(iterable: AsyncIterable<T>): StreamReader<T> {
  const reader = new StreamReader<T>();
  void (async () => {
    try {
      for await (const message of iterable) reader.push(message);
      reader.finish({ ok: true });
    } catch (error) {
      reader.finish({ ok: false, error });
    }
  })();
  return reader;
}
