// Guards a crash in postgres.js 3.4.9, run by `npm install` (the root postinstall).
//
// When a connection's socket closes while a transaction is open (a database
// restart, a reset, the server's dropConnections), the transaction's ROLLBACK is
// written after postgres.js has set the socket to null, from a setImmediate:
// `socket.write` throws a TypeError there, which nothing can catch, and the
// traceledger process ends. Upstream: porsager/postgres#1154 and #1208 (fixes open,
// not released). The guard drops such a write and fails its query (and any other
// waiting on the connection) with CONNECTION_CLOSED, as a write to a closed socket
// would; the pool connects anew for the next one.
// apps/server/src/database/postgres-client.int.spec.ts fails without it.

import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(path.join(root, "apps/server/package.json"));
// The package exports no package.json; its require entry is cjs/src/index.js.
const packageDir = path.resolve(path.dirname(require.resolve("postgres")), "../..");
const { version } = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8"));
const PATCHED_VERSION = "3.4.9";
const MARK = "traceledger: guard a write after the socket closed";
const ORIGINAL = "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)\n";
const GUARDED =
  "  function nextWrite(fn) {\n" +
  `    if (!socket) { // ${MARK} (tools/patch-postgres.mjs)\n` +
  "      clearImmediate(nextWriteTimer)\n" +
  "      chunk = nextWriteTimer = null\n" +
  "      error(Errors.connection('CONNECTION_CLOSED', options))\n" +
  "      fn && process.nextTick(fn, new Error('the connection is closed'))\n" +
  "      return false\n" +
  "    }\n" +
  "    const x = socket.write(chunk, fn)\n";

if (version !== PATCHED_VERSION) {
  console.error(`traceledger: postgres ${version} is not ${PATCHED_VERSION}; check whether it still needs tools/patch-postgres.mjs, and update the script`);
  process.exit(1);
}
for (const file of ["src/connection.js", "cjs/src/connection.js", "cf/src/connection.js"]) {
  const full = path.join(packageDir, file);
  const source = readFileSync(full, "utf8");
  if (source.includes(MARK)) continue;
  if (!source.includes(ORIGINAL)) {
    console.error(`traceledger: ${full} does not hold the nextWrite this script guards; update tools/patch-postgres.mjs`);
    process.exit(1);
  }
  writeFileSync(full, source.replace(ORIGINAL, GUARDED));
}
console.log(`traceledger: guarded postgres ${version}'s write after a closed socket (tools/patch-postgres.mjs)`);
