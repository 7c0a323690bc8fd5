// Reads a grpc-js client stream one message at a time, and its final status.

import type { StatusObject } from "@grpc/grpc-js";

interface ClientStream<T> {
  on(event: "data", listener: (message: T) => void): unknown;
  on(event: "status", listener: (status: StatusObject) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}

export interface StreamReader<T> {
  /** The next message; rejects if the stream ends first. */
  next(): Promise<T>;
  /** The status the stream ended with (errors included, as statuses). */
  readonly status: Promise<StatusObject>;
}

export function streamReader<T>(stream: ClientStream<T>): StreamReader<T> {
  const queued: T[] = [];
  const waiting: { resolve: (message: T) => void; reject: (error: Error) => void }[] = [];
  let ended: StatusObject | undefined;
  stream.on("data", (message) => {
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(message);
    else queued.push(message);
  });
  // grpc-js emits 'error' for a non-OK status as well; the status event carries it.
  stream.on("error", () => undefined);
  const status = new Promise<StatusObject>((resolve) =>
    stream.on("status", (s) => {
      ended = s;
      for (const waiter of waiting.splice(0)) waiter.reject(new Error(`the stream ended with status ${s.code}: ${s.details}`));
      resolve(s);
    }),
  );
  return {
    next: () => {
      const message = queued.shift();
      if (message !== undefined) return Promise.resolve(message);
      if (ended) return Promise.reject(new Error(`the stream ended with status ${ended.code}: ${ended.details}`));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    status,
  };
}
