// Back-pressure needs a client that stops reading, which a real HTTP/2 client
// makes hard to control; a stand-in for grpc-js's call shows it directly.
import { create, type Message } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { Metadata, type StatusObject } from "@grpc/grpc-js";
import { TracingService, WatchTraceRequestSchema } from "@traceledger/proto";
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { grpcServiceImplementation } from "./grpc-service-implementation.js";
import { serviceRegistration } from "./service-registration.js";

class FakeStreamCall extends EventEmitter {
  readonly metadata = new Metadata();
  readonly written: Message[] = [];
  cancelled = false;
  accepting = false;
  ended = false;
  status: Partial<StatusObject> | undefined;
  constructor(readonly request: Message) {
    super();
    this.on("error", (status: Partial<StatusObject>) => (this.status = status));
  }
  getHost = () => "localhost";
  getPath = () => "/traceledger.v1.TracingService/WatchTrace";
  getDeadline = () => Infinity;
  sendMetadata = () => undefined;
  write(message: Message): boolean {
    this.written.push(message);
    return this.accepting;
  }
  end(): void {
    this.ended = true;
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function startWatch(pulled: { count: number; aborted?: unknown }): FakeStreamCall {
  const implementation = grpcServiceImplementation(
    serviceRegistration(TracingService, {
      async *watchTrace(_request, context) {
        try {
          for (let version = 1n; version <= 5n; version++) {
            pulled.count++;
            yield { event: { streamVersion: version } };
          }
        } finally {
          pulled.aborted = context.signal.aborted ? context.signal.reason : undefined;
        }
      },
    }),
    { streamShutdown: new AbortController().signal, onInternalError: () => undefined },
  );
  const call = new FakeStreamCall(create(WatchTraceRequestSchema));
  (implementation["WatchTrace"] as unknown as (call: FakeStreamCall) => void)(call);
  return call;
}

describe("a server stream on the gRPC door", () => {
  it("asks the implementation for the next message only after the client has drained the last", async () => {
    const pulled = { count: 0 };
    const call = startWatch(pulled);
    await tick();
    expect([call.written.length, pulled.count]).toEqual([1, 1]);
    await tick();
    expect([call.written.length, pulled.count]).toEqual([1, 1]);

    call.emit("drain");
    await tick();
    expect([call.written.length, pulled.count]).toEqual([2, 2]);

    call.accepting = true;
    call.emit("drain");
    await tick();
    expect(call.written).toHaveLength(5);
    expect(call.ended).toBe(true);
  });

  it("stops waiting for a drain when the client cancels, and aborts the implementation", async () => {
    const pulled: { count: number; aborted?: unknown } = { count: 0 };
    const call = startWatch(pulled);
    await tick();
    call.cancelled = true;
    call.emit("cancelled");
    await tick();
    expect(pulled.count).toBe(1);
    expect(pulled.aborted).toMatchObject({ code: Code.Canceled });
    expect(call.ended).toBe(false);
    expect(call.status?.code).toBe(Code.Canceled);
  });
});
