// A stock @grpc/grpc-js client for the benchmarks' load processes: unary calls by
// path, with serialisers from protobuf-es schemas (toBinary / fromBinary) or raw
// bytes, and a promise per call.

import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";

export const TRACING = "/traceledger.v1.TracingService";

/** `options` are grpc-js channel options on top of 64 MiB message limits. */
export function grpcClient(address: string, options: Record<string, number | string> = {}): Client {
  return new Client(address, credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    "grpc.max_send_message_length": 64 * 1024 * 1024,
    ...options,
  });
}

export function waitForReady(client: Client, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + ms, (error) => (error ? reject(error) : resolve())));
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export type Unary<I, O> = (request: I, deadlineMs?: number) => Promise<O>;

/** A unary method whose messages are protobuf-es messages. */
export function unary<I extends DescMessage, O extends DescMessage>(client: Client, method: string, input: I, output: O): Unary<MessageShape<I>, MessageShape<O>> {
  return raw(client, method, (m: MessageShape<I>) => asBuffer(toBinary(input, m)), (b) => fromBinary(output, b));
}

/** A unary method with any serialisers (e.g. identity ones for pre-encoded bytes). */
export function raw<I, O>(client: Client, path: string, serialize: (m: I) => Buffer, deserialize: (b: Buffer) => O): Unary<I, O> {
  const metadata = new Metadata();
  return (request, deadlineMs = 30_000) =>
    new Promise<O>((resolve, reject) => {
      client.makeUnaryRequest(path, serialize, deserialize, request, metadata, { deadline: Date.now() + deadlineMs }, (error: ServiceError | null, response?: O) =>
        error ? reject(error) : resolve(response!),
      );
    });
}
