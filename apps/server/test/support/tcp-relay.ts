// A TCP relay on a loopback port, forwarding every connection to a target. It
// counts the bytes clients send through it (what went over the wire where the
// receiving library hides it: grpc-js decompresses a message and drops
// grpc-encoding before a handler sees either), and it can be taken down
// (connections refused, open ones cut) and brought back on the same port: a
// database outage, without stopping the test run's shared PostgreSQL.

import { createServer, connect, type Server, type Socket } from "node:net";

export interface TcpRelay {
  readonly host: string;
  /** The relay's port; the same after down() and up(). */
  readonly port: number;
  /** Bytes clients sent towards the target so far, over every connection. */
  readonly sentBytes: number;
  /** Refuses new connections and cuts the open ones. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
}

export async function startTcpRelay(target: { readonly host: string; readonly port: number }): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let sentBytes = 0;
  const up = async () => {
    server = createServer((client) => {
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
    await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  };
  const down = async () => {
    for (const socket of sockets) socket.destroy();
    if (server?.listening) await new Promise<void>((resolve) => server!.close(() => resolve()));
  };
  await up();
  return {
    host: "127.0.0.1",
    get port() {
      return port;
    },
    get sentBytes() {
      return sentBytes;
    },
    down,
    up,
  };
}

/** A database URL whose host and port are the relay's. */
export function throughRelay(databaseUrl: string, relay: TcpRelay): string {
  const url = new URL(databaseUrl);
  url.hostname = relay.host;
  url.port = String(relay.port);
  return url.toString();
}
