// ListTraces reads a projection that follows the event log asynchronously.
// projector.catchUp() applies what it can, but the log's safe horizon (events
// below the oldest running transaction of the whole PostgreSQL cluster) and a
// slice being applied by the background loop at that moment can leave the
// newest events for the next pass: so a test asks again, within a bound, until
// the listing shows what it needs, and fails naming what it last saw.

import type { TraceListingProjector } from "../../../src/projections/postgres/trace-listing-projector.js";
import { describeValue } from "./describe-value.js";
import { until, WaitTimeout } from "./wait.js";

export async function listedWhen<T>(
  projector: Pick<TraceListingProjector, "catchUp">,
  list: () => Promise<T>,
  ready: (listing: T) => boolean,
  what: string,
  ms = 10_000,
): Promise<T> {
  let last: T | undefined;
  try {
    return await until(
      ms,
      what,
      async () => {
        await projector.catchUp();
        last = await list();
        return ready(last) ? last : undefined;
      },
      20,
    );
  } catch (error) {
    if (error instanceof WaitTimeout) throw new WaitTimeout(`${error.message}; the last listing was ${describeValue(last)}`);
    throw error;
  }
}
