// A TCP relay in front of PostgreSQL that can make chosen connections go silent:
// nothing more passes (either way, or only PostgreSQL's answers), yet both ends
// stay open. That is how a
// connection the network lost without a reset looks from the server's side (a
// failover, a NAT or firewall forgetting it): what the server writes waits
// unanswered, and nothing tells it the connection is gone. Here the relay's own
// socket takes the bytes, so TCP never gives up on them: a silenced connection
// stays silent until the relay closes (in production TCP gives up after about
// 15 minutes on Linux). New connections pass as usual: the database answers.

import { connect, createServer, type Socket } from "node:net";

export interface SilentRelay {
  /** The database URL with the relay's host and port. */
  readonly url: string;
  /** How many open connections, not silenced, gave this application_name. */
  connections(applicationName: string): number;
  /** Silences the open connections whose client gave this application_name. Returns how many it silenced. */
  silence(applicationName: string, options?: SilenceOptions): number;
  /**
   * Cuts every connection and stops listening. The server's side gets a reset, not a
   * clean close: postgres.js 3.4.9, closed cleanly while a transaction of the server's
   * waits, throws out of a setImmediate (porsager/postgres#1154, #1208), and that ends
   * the test run's process.
   */
  close(): void;
}

export interface SilenceOptions {
  /** At most this many connections, oldest first. Default: all. */
  readonly count?: number;
  /**
   * Stop only what PostgreSQL sends back: statements still arrive and commit,
   * their answers never come (a write that may or may not have been stored).
   * Default: both ways, so nothing sent arrives either.
   */
  readonly answersOnly?: boolean;
}

interface Relayed {
  readonly client: Socket;
  readonly upstream: Socket;
  applicationName?: string;
  silent: boolean;
}

export async function startSilentRelay(databaseUrl: string): Promise<SilentRelay> {
  const target = new URL(databaseUrl);
  const relayed = new Set<Relayed>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    const connection: Relayed = { client, upstream, silent: false };
    relayed.add(connection);
    for (const socket of [client, upstream]) {
      socket.on("error", () => {});
      // Either side ending ends both, as a direct connection would (unless silenced: then nothing passes).
      socket.on("close", () => {
        relayed.delete(connection);
        if (!connection.silent) {
          client.destroy();
          upstream.destroy();
        }
      });
    }
    readStartup(client, (name) => (connection.applicationName = name));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as { port: number }).port);
  const named = (applicationName: string) => [...relayed].filter((c) => !c.silent && c.applicationName === applicationName);
  return {
    url: url.toString(),
    connections: (applicationName) => named(applicationName).length,
    silence: (applicationName, options = {}) => {
      const chosen = named(applicationName).slice(0, options.count ?? Infinity);
      for (const c of chosen) {
        c.silent = true;
        c.upstream.unpipe(c.client);
        c.upstream.pause();
        if (!options.answersOnly) {
          c.client.unpipe(c.upstream);
          c.client.pause();
        }
      }
      return chosen.length;
    },
    close: () => {
      for (const c of relayed) {
        c.client.resetAndDestroy();
        c.upstream.destroy();
      }
      server.close();
    },
  };
}

/**
 * Reads the application_name from the client's startup message (length, protocol
 * version, then name/value pairs, each ending in a zero byte). postgres.js sends
 * it first, without an SSL request unless asked to use TLS.
 */
function readStartup(client: Socket, found: (applicationName: string) => void): void {
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.length < 4 || buffered.length < buffered.readInt32BE(0)) return;
    client.off("data", onData);
    const fields = buffered.subarray(8, buffered.readInt32BE(0)).toString("utf8").split("\0");
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === "application_name") found(fields[i + 1]!);
  };
  client.on("data", onData);
}
