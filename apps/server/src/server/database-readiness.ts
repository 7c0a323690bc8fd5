import { dropConnections, type Sql } from "../database/open-database.js";
import type { Readiness } from "../rpc/transport/probe-routes.js";

/**
 * A probe unanswered this long drops its connection (dropConnections): one the
 * network lost would hold every later probe, and a replica whose database is fine
 * would stay unready. Longer than the 1 s a probe waits for its answer, so that a
 * slow but live database is not reconnected at every probe.
 */
const LOST_AFTER_MS = 5_000;

/**
 * Ready while the database answers: a server whose database is gone answers every
 * write with UNAVAILABLE, and a load balancer should send the calls elsewhere.
 */
export async function databaseReadiness(sql: Sql): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Readiness>((resolve) => {
    timer = setTimeout(() => resolve({ ready: false, reason: "the database did not answer within 1 s" }), 1000);
  });
  const answer = sql`select 1`.then((): Readiness => ({ ready: true }));
  const lost = setTimeout(() => dropConnections(sql, `the database did not answer a readiness probe within ${LOST_AFTER_MS} ms`), LOST_AFTER_MS);
  lost.unref();
  const answered = () => clearTimeout(lost);
  answer.then(answered, answered);
  try {
    return await Promise.race([answer, late]);
  } catch (error) {
    return { ready: false, reason: `the database is unreachable: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    clearTimeout(timer);
  }
}
