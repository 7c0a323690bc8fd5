// A TCP relay on an ephemeral loopback port that forwards every connection to a
// target and counts the bytes clients send through it. It shows what went over
// the wire where the receiving library hides it: grpc-js decompresses a message
// and drops grpc-encoding before a handler sees either.

import { connect, createServer, type AddressInfo, type Socket } from "node:net";

export interface ByteCountingRelay {
  readonly host: string;
  readonly port: number;
  /** Bytes clients sent towards the target so far, over every connection. */
  readonly sentBytes: number;
  close(): Promise<void>;
}

export async function startByteCountingRelay(target: { readonly host: string; readonly port: number }): Promise<ByteCountingRelay> {
  let sentBytes = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      // Either side ending or failing ends both, as a direct connection would.
      socket.on("error", () => {});
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (chunk: Buffer) => (sentBytes += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: "127.0.0.1",
    port,
    get sentBytes() {
      return sentBytes;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
