// A TCP relay on a fixed loopback port that can be taken down (connections
// refused, open ones cut) and brought back: a database outage, without
// stopping the test run's shared PostgreSQL.

import { createServer, connect, type Server, type Socket } from "node:net";

/** A TCP relay to the database on a fixed port that can be taken down (connections refused) and brought back. */
export async function relay(target: URL) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const up = async () => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("error", () => {});
        socket.on("close", () => {
          sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  };
  const down = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
  };
  await up();
  return { port: () => port, up, down };
}

