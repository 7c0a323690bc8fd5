import { chmod, mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedDatabase } from "./embedded-database.js";
import { DatabaseConnectionError, openDatabase } from "./open-database.js";

describe("embedded PostgreSQL", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "traceledger-embedded-"));
    await chmod(root, 0o755);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("initialises a data folder on first start and reuses it later", async () => {
    const dataDir = path.join(root, "data");
    const first = await startEmbeddedDatabase({ dataDir, unsafeFast: true });
    expect(first.initialised).toBe(true);
    await first.stop();
    await first.stop(); // twice is fine
    const second = await startEmbeddedDatabase({ dataDir, unsafeFast: true });
    expect(second.initialised).toBe(false);
    expect(second.dataDir).toBe(dataDir);
    await second.stop();
  });

  it("opens a database on it when there is no DATABASE_URL, and closes it all", async () => {
    const database = await openDatabase({ databaseUrl: "", embedded: { dataDir: path.join(root, "data"), unsafeFast: true } });
    try {
      expect(database.kind).toBe("embedded");
      const [row] = await database.sql<{ db: string; n: bigint }[]>`select current_database() as db, 9007199254740993::int8 as n`;
      expect(row).toEqual({ db: "traceledger", n: 9007199254740993n });
    } finally {
      await database.close();
    }
  });

  it("says why it cannot start", async () => {
    await mkdir(path.join(root, "not-postgres"));
    await writeFile(path.join(root, "not-postgres", "file.txt"), "hello");
    await expect(startEmbeddedDatabase({ dataDir: path.join(root, "not-postgres") })).rejects.toThrow(/holds no PostgreSQL cluster/);

    // initdb killed (kill -9 of its process group) before it wrote global/pg_control: PG_VERSION
    // and empty folders, no data; PostgreSQL would refuse it on every start.
    const unfinished = path.join(root, "unfinished-initdb");
    await mkdir(path.join(unfinished, "global"), { recursive: true });
    await writeFile(path.join(unfinished, "PG_VERSION"), "18\n");
    await expect(startEmbeddedDatabase({ dataDir: unfinished })).rejects.toThrow(
      new RegExp(`the data folder ${unfinished} holds an initialisation that did not finish .*no data.*remove it`),
    );

    await writeFile(path.join(root, "a-file"), "");
    await expect(startEmbeddedDatabase({ dataDir: path.join(root, "a-file", "data") })).rejects.toThrow(/not writable/);
    // A file system that will not hold folders (Node's recursive mkdir loops forever there).
    if (process.platform === "linux") await expect(startEmbeddedDatabase({ dataDir: "/proc/traceledger-nope/data/pg" })).rejects.toThrow(/not writable/);

    const dataDir = path.join(root, "data"); // initialised by the first test
    const running = await startEmbeddedDatabase({ dataDir, unsafeFast: true });
    try {
      await expect(startEmbeddedDatabase({ dataDir, unsafeFast: true })).rejects.toThrow(/in use by another PostgreSQL/);
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      const port = (blocker.address() as { port: number }).port;
      await running.stop();
      try {
        await expect(startEmbeddedDatabase({ dataDir, port, unsafeFast: true })).rejects.toThrow(new RegExp(`port ${port} is in use`));
      } finally {
        blocker.close();
      }
    } finally {
      await running.stop();
    }
  });

  it("says why it cannot connect to an external database", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const attempt = openDatabase({ databaseUrl: `postgres://someone:secret@127.0.0.1:${port}/nothing` });
    await expect(attempt).rejects.toBeInstanceOf(DatabaseConnectionError);
    await expect(attempt).rejects.toThrow(/connection refused/);
    await expect(attempt).rejects.not.toThrow(/secret/);
  });
});
