// Opens the database the server runs on: an external PostgreSQL named by DATABASE_URL,
// or else an embedded cluster in a local data folder. Either way the result is a
// postgres.js client configured the same way, and one function that closes everything.

import net from "node:net";
import postgres from "postgres";
import { type EmbeddedDatabase, type EmbeddedDatabaseOptions, startEmbeddedDatabase } from "./embedded-database.js";
import { redactDatabaseUrl } from "./redact-database-url.js";

/** A postgres.js client whose int8 values are bigint (see createPostgresClient). */
export type Sql = postgres.Sql<{ bigint: bigint }>;

interface ClientOptions {
  /** The pool size. Default 10. */
  readonly max?: number;
  /** Shown in pg_stat_activity. Default "traceledger". */
  readonly applicationName?: string;
  /**
   * PostgreSQL's idle_in_transaction_session_timeout for the client's sessions. Default
   * 60,000 ms: every transaction of ours runs its statements back to back within
   * milliseconds, so one idle that long lost its client (a connection the network
   * dropped), and ending it frees the rows it locked: a saga or export lease, a
   * projector's checkpoint. Without it they stay locked until the database's TCP gives up.
   */
  readonly idleInTransactionTimeoutMs?: number;
}

/**
 * A postgres.js client with what the event store relies on: int8 as bigint, TCP_NODELAY
 * sockets (Nagle's algorithm adds tens of milliseconds to pipelined round trips), and
 * no notice logging.
 */
export function createPostgresClient(url: string, options: ClientOptions = {}): Sql {
  const sockets = new Set<net.Socket>();
  const sql: Sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: {
      application_name: options.applicationName ?? "traceledger",
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 60_000,
    },
    types: { bigint: postgres.BigInt },
    // Seconds before reconnecting after the n-th failed attempt in a row. postgres.js's own
    // grows to 10-20 s, and a query waits for the next attempt: after a database restart the
    // server answered nothing for that long. Here 0.1 s doubling to at most 2 s, jittered.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.1 * 2 ** retries, 2),
    // Not in postgres.js's type definitions, documented in its README ("Custom socket").
    ...({ socket: (o: Parameters<typeof connectNoDelay>[0]) => tracked(connectNoDelay(o), sockets) } as object),
  });
  socketsOf.set(sql, sockets);
  return sql;
}

/** Each client's open sockets, for dropConnections. */
const socketsOf = new WeakMap<Sql, Set<net.Socket>>();

function tracked(socket: net.Socket, sockets: Set<net.Socket>): net.Socket {
  sockets.add(socket);
  socket.once("close", () => sockets.delete(socket));
  return socket;
}

/**
 * Destroys the client's open connections: their queries fail with `reason`, and
 * postgres.js connects anew for the next. The way out of a connection the network
 * lost without a reset: it looks open, what is written to it waits unacknowledged
 * until TCP gives up (about 15 minutes on Linux), and every later query of the
 * connection queues behind it. Neither a statement_timeout (the query never reaches
 * PostgreSQL) nor TCP keepalive (it waits while data is unacknowledged) ends it.
 * A socket under TLS is destroyed with its TLS socket.
 *
 * With an error, not without: postgres.js 3.4.9 then fails the queries while the socket
 * is still there. A socket closed without one made a transaction's rollback, written
 * after it, throw out of a setImmediate (TypeError in nextWrite, porsager/postgres#1154,
 * #1208), and that ends the process. The price: each counts as a failed connection
 * attempt, so the client's reconnect backoff, which they share, grows with each: with
 * the ten of the pool dropped at once, queries wait up to its 2 s cap for a connection.
 */
export function dropConnections(sql: Sql, reason: string): void {
  // The code tells callers (the RPC layer's error mapping) that the database was unreachable.
  for (const socket of socketsOf.get(sql) ?? []) socket.destroy(Object.assign(new Error(reason), { code: "CONNECTION_DROPPED" }));
}

/**
 * postgres.js calls this with its parsed options. The socket is returned while it
 * connects: postgres.js attaches its own handlers at once (before any I/O event),
 * its first write waits in the socket for the connection, and a refused one is an
 * ordinary socket error that it retries. Returning a promise that rejects on a
 * refused connection (its README's example) left the pool slot "connecting" for
 * good in postgres.js 3.4.9: after ten refusals, while the database restarted,
 * every query waited forever, even once it was back.
 */
function connectNoDelay(options: { host?: string[]; port?: number[]; path?: string }): net.Socket {
  return options.path ? net.connect({ path: options.path }) : net.connect({ host: options.host?.[0] ?? "localhost", port: options.port?.[0] ?? 5432, noDelay: true });
}

interface OpenDatabaseOptions {
  /** An external PostgreSQL. Default: the DATABASE_URL environment variable; empty means embedded. */
  readonly databaseUrl?: string;
  /** Options for the embedded cluster, used when there is no database URL. */
  readonly embedded?: EmbeddedDatabaseOptions;
  /** The database to use (created if missing) in the embedded cluster. Default "traceledger". */
  readonly embeddedDatabaseName?: string;
  readonly client?: ClientOptions;
  /**
   * Aborted to give up connecting to an external database (a stop asked for during
   * start-up): the client is closed and openDatabase rejects. An embedded cluster's
   * start is not cut short: it is let finish, so that it can be stopped.
   */
  readonly signal?: AbortSignal;
}

interface Database {
  readonly sql: Sql;
  /**
   * One connection of its own for the readiness probe (connected on first use): when
   * ingest keeps the pool busy, a probe queued behind it would time out and take a
   * healthy replica out of service.
   */
  readonly probe: Sql;
  /** "external" for DATABASE_URL, "embedded" for the local cluster. */
  readonly kind: "external" | "embedded";
  /** Where it is, without the password, for logs. */
  readonly description: string;
  /** The embedded cluster, when there is one. */
  readonly embedded?: EmbeddedDatabase;
  /** Closes the client and stops the embedded cluster, if any. */
  close(): Promise<void>;
}

export class DatabaseConnectionError extends Error {
  override readonly name = "DatabaseConnectionError";
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const url = options.databaseUrl ?? process.env["DATABASE_URL"] ?? "";
  if (url !== "") {
    const description = redactDatabaseUrl(url);
    const sql = createPostgresClient(url, options.client);
    // A server that accepts and never answers would hold the check for postgres.js's 30 s
    // connect timeout, then the process's shutdown overrun.
    const giveUp = () => void sql.end({ timeout: 0 }).catch(() => undefined);
    options.signal?.addEventListener("abort", giveUp, { once: true });
    try {
      if (options.signal?.aborted) throw new DatabaseConnectionError(`gave up connecting to ${description}: stopped`);
      await checkConnection(sql, description);
    } finally {
      options.signal?.removeEventListener("abort", giveUp);
    }
    const probe = probeClient(url);
    return {
      sql,
      probe,
      kind: "external",
      description,
      close: async () => {
        await Promise.all([sql.end({ timeout: 5 }), probe.end({ timeout: 1 })]);
      },
    };
  }

  const embedded = await startEmbeddedDatabase(options.embedded);
  try {
    const name = options.embeddedDatabaseName ?? "traceledger";
    await ensureDatabase(embedded.url(), name);
    const description = `embedded PostgreSQL in ${embedded.dataDir} on 127.0.0.1:${embedded.port}, database ${name}`;
    const sql = createPostgresClient(embedded.url(name), options.client);
    await checkConnection(sql, description);
    const probe = probeClient(embedded.url(name));
    return {
      sql,
      probe,
      kind: "embedded",
      description,
      embedded,
      close: async () => {
        await Promise.all([sql.end({ timeout: 5 }), probe.end({ timeout: 1 })]);
        await embedded.stop();
      },
    };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}

/** Its own application name: the log's readers count this server's statements by theirs (HELD_BACK_SQL), and a probe writes nothing. */
function probeClient(url: string): Sql {
  return createPostgresClient(url, { max: 1, applicationName: "traceledger-probe" });
}

/** Creates the database if it does not exist (connects to the cluster's `postgres` database). */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin`select 1 as found from pg_database where datname = ${name}`;
    if (!row) {
      try {
        await admin.unsafe(`create database ${escapeIdentifier(name)}`);
      } catch (error) {
        if ((error as { code?: string }).code !== "42P04") throw error; // created meanwhile
      }
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

async function checkConnection(sql: Sql, description: string): Promise<void> {
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    const code = (error as { code?: string }).code;
    const hint =
      code === "ECONNREFUSED"
        ? " (connection refused: is PostgreSQL running and listening there?)"
        : code === "28P01"
          ? " (wrong password)"
          : code === "3D000"
            ? " (the database does not exist)"
            : "";
    throw new DatabaseConnectionError(
      `cannot connect to ${description}: ${error instanceof Error ? error.message : String(error)}${hint}`,
      { cause: error },
    );
  }
}

export function escapeIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
