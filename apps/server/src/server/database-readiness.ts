import type { Sql } from "../database/open-database.js";
import type { Readiness } from "../rpc/transport/probe-routes.js";

/**
 * Ready while the database answers: a server whose database is gone answers every
 * write with UNAVAILABLE, and a load balancer should send the calls elsewhere.
 */
export async function databaseReadiness(sql: Sql): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Readiness>((resolve) => {
    timer = setTimeout(() => resolve({ ready: false, reason: "the database did not answer within 1 s" }), 1000);
  });
  try {
    return await Promise.race([sql`select 1`.then((): Readiness => ({ ready: true })), late]);
  } catch (error) {
    return { ready: false, reason: `the database is unreachable: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    clearTimeout(timer);
  }
}
