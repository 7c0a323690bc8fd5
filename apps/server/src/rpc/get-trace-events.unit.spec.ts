// GetTraceEvents pages by events and by bytes. A page whose events fill its byte
// budget exactly must still say that more follow: the store stops its read at the
// event that reaches the budget it is given, so the service asks for one byte more
// than a page holds (before, such a page ended the paging and the rest of the log
// was never listed).

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
    const events = [1, 2, 3, 4, 5].map((n) => ({ eventId: `00000000-0000-4000-8000-00000000000${n}`, type: "Opaque", payload: new Uint8Array(512).fill(n), occurredAt: 1n }));
    await store.append({ streamId: TRACE, expectedVersion: "no_stream", events });
    // An answer limit of 2 KiB makes pages of 1 KiB: two 512-byte events fill one exactly.
    const { service, close } = eventsService(store, clock, { maxAnswerBytes: 2048 });
    const pages: bigint[][] = [];
    let pageToken = "";
    do {
      const page = (await service.getTraceEvents!(create(GetTraceEventsRequestSchema, { traceId: hexToBytes(TRACE), pageToken }), {} as HandlerContext)) as GetTraceEventsResponse;
      pages.push(page.events.map((e) => e.streamVersion));
      pageToken = page.nextPageToken;
    } while (pageToken !== "" && pages.length < 10);
    expect(pages).toEqual([[1n, 2n], [3n, 4n], [5n]]);
    await close();
  });
});
