// GetTraceEvents pages by events and by bytes, each event counted with its envelope
// (ENVELOPE_BYTES). A page whose events fill its byte budget exactly must still say
// that more follow: the store stops its read at the event that reaches the budget it
// is given, so the service asks for one byte more than a page holds (before, such a
// page ended the paging and the rest of the log was never listed). So must a page of
// one event larger than the budget, which the store's read stops at too.

import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { GetTraceEventsRequestSchema, type GetTraceEventsResponse } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { hexToBytes } from "../domain/trace/w3c-ids.js";
import { InMemoryEventStore } from "../event-store/in-memory/in-memory-event-store.js";
import { eventsService } from "./testing/events-service.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const clock = () => 1_764_000_000_000_000_000n;

describe("GetTraceEvents paging by bytes", () => {
  it("lists every event when a page's payloads fill its byte budget exactly", async () => {
    const store = new InMemoryEventStore({ clock });
    await store.append({ streamId: TRACE, expectedVersion: "no_stream", events: opaque([352, 352, 352, 352, 352]) });
    // An answer limit of 2 KiB makes pages of 1 KiB: two 352-byte events and their envelopes fill one exactly.
    const { service, close } = eventsService(store, clock, { maxAnswerBytes: 2048 });
    expect(await allPages(service)).toEqual([[1n, 2n], [3n, 4n], [5n]]);
    await close();
  });

  it("lists the events after one larger than a page", async () => {
    const store = new InMemoryEventStore({ clock });
    await store.append({ streamId: TRACE, expectedVersion: "no_stream", events: opaque([100, 3000, 100, 100]) });
    const { service, close } = eventsService(store, clock, { maxAnswerBytes: 2048 });
    expect(await allPages(service)).toEqual([[1n], [2n], [3n, 4n]]);
    // Up to a version: nothing after it is announced.
    expect(await allPages(service, 2n)).toEqual([[1n], [2n]]);
    await close();
  });
});

function opaque(sizes: readonly number[]) {
  return sizes.map((size, i) => ({ eventId: `00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`, type: "Opaque", payload: new Uint8Array(size).fill(i + 1), occurredAt: 1n }));
}

/** The versions of each page, paging from the start to the end (or to `toVersion`). */
async function allPages(service: ReturnType<typeof eventsService>["service"], toVersion = 0n): Promise<bigint[][]> {
  const pages: bigint[][] = [];
  let pageToken = "";
  do {
    const page = (await service.getTraceEvents!(create(GetTraceEventsRequestSchema, { traceId: hexToBytes(TRACE), toVersion, pageToken }), {} as HandlerContext)) as GetTraceEventsResponse;
    pages.push(page.events.map((e) => e.streamVersion));
    pageToken = page.nextPageToken;
  } while (pageToken !== "" && pages.length < 10);
  return pages;
}
