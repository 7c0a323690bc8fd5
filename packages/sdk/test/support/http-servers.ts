// Listening and closing HTTP servers in tests, without keep-alive connections
// holding a close open.

import type { Server } from "node:http";

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("server has no address");
  return `http://127.0.0.1:${address.port}`;
}

export async function close(server: Server | undefined): Promise<void> {
  if (!server?.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
