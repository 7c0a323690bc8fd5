// A long GetTraceEvents page is read in several statements and encoded in parts
// (events-page.ts), so that it does not hold the event loop; its answer must be
// the one a single read and a single encoding give: the same events, the same bytes.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { GetTraceEventsRequestSchema, GetTraceEventsResponseSchema, type GetTraceEventsResponse } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../domain/testing/seeded-random.js";
import { eventIdentity } from "../domain/trace/trace-event.js";
import { bytesToHex, hexToBytes } from "../domain/trace/w3c-ids.js";
import type { ReadStreamOptions } from "../event-store/event-store.js";
import { InMemoryEventStore } from "../event-store/in-memory/in-memory-event-store.js";
import { deriveEventId } from "../events/event-id.js";
import { encodeTraceEvent, occurredAt } from "../events/trace-event-codec.js";
import { wideTraceEvents } from "../trace-reads/testing/wide-trace.js";
import { TimeSlices } from "../trace-reads/time-slices.js";
import { toEnvelope } from "./event-envelope.js";
import { encodeEventsPage, readEventsPage } from "./events-page.js";
import { isPreEncoded } from "./transport/pre-encoded-message.js";
import { eventsService } from "./testing/events-service.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4737";
const clock = () => 1_764_000_000_000_000_000n;

/** A stored trace of real events (2,500 of them), and one of opaque events of random sizes. */
async function stores() {
  const store = new InMemoryEventStore({ clock });
  const events = wideTraceEvents(1200, TRACE);
  await store.append({
    streamId: TRACE,
    expectedVersion: "no_stream",
    events: events.map((event) => ({ eventId: deriveEventId(TRACE, eventIdentity(event, bytesToHex)), ...encodeTraceEvent(event), occurredAt: occurredAt(event) })),
  });
  const random = seededRandom(42);
  const opaque = "4bf92f3577b34da6a3ce929d0e0e4738";
  await store.append({
    streamId: opaque,
    expectedVersion: "no_stream",
    events: Array.from({ length: 3000 }, (_, i) => ({
      eventId: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
      type: "Opaque",
      payload: new Uint8Array(1 + Math.floor(random() * 400)),
      occurredAt: 1n,
    })),
  });
  return { store, events, opaque };
}

describe("a long GetTraceEvents page", () => {
  it("reads in several statements the events one read gives, the byte budget counted across them", async () => {
    const { store, opaque } = await stores();
    const random = seededRandom(7);
    const cases: ReadStreamOptions[] = [
      { limit: 5001 },
      { limit: 5001, maxBytes: 2 * 1024 * 1024 + 1 },
      { limit: 1001, maxBytes: 1 },
      { limit: 2000, afterVersion: 999 },
      { limit: 2001, afterVersion: 10, toVersion: 1500 },
    ];
    for (let i = 0; i < 40; i++) {
      cases.push({ limit: 1 + Math.floor(random() * 4000), afterVersion: Math.floor(random() * 2000), maxBytes: 1 + Math.floor(random() * 400_000) });
    }
    // A budget that ends exactly at the end of the first statement's events, and one byte past it.
    const first = await store.readStream(opaque, { limit: 1000 });
    const firstBytes = first.reduce((n, e) => n + e.payload.length, 0);
    cases.push({ limit: 3000, maxBytes: firstBytes }, { limit: 3000, maxBytes: firstBytes + 1 });
    for (const options of cases) {
      const versions = (events: Array<{ version: number }>) => events.map((e) => e.version);
      const one = await store.readStream(opaque, options);
      const parts = await readEventsPage(store, opaque, options as ReadStreamOptions & { limit: number });
      expect(versions(parts), JSON.stringify(options)).toEqual(versions(one));
    }
  });

  it("encodes in parts the bytes one encoding gives, letting the event loop turn between parts", async () => {
    const { store } = await stores();
    const page = await store.readStream(TRACE, { limit: 1200 });
    for (const [count, token] of [
      [1, ""],
      [250, "next"],
      [251, ""],
      [1200, "ZTE6MTIwMDpzb21laGFzaA"],
    ] as const) {
      const events = page.slice(0, count);
      let turns = 0;
      let encoding = true;
      const turn = () => {
        if (!encoding) return;
        turns++;
        setImmediate(turn);
      };
      setImmediate(turn);
      const bytes = await encodeEventsPage(events, token, new TimeSlices(0));
      encoding = false;
      const whole = toBinary(GetTraceEventsResponseSchema, create(GetTraceEventsResponseSchema, { events: events.map(toEnvelope), nextPageToken: token }));
      expect(Buffer.compare(Buffer.from(bytes), Buffer.from(whole)), `${count} events`).toBe(0);
      expect(turns, `${count} events`).toBe(Math.ceil(count / 250) - 1);
    }
  });

  it("pages through a trace with pages of thousands of events as with pages of the default size", async () => {
    const { store, events } = await stores();
    const { service, close } = eventsService(store, clock);
    /** Every page's bytes as the transports send them, and what a client decodes from them. */
    const pages = async (pageSize: number) => {
      const answers: Array<{ bytes: Buffer; page: GetTraceEventsResponse; preEncoded: boolean }> = [];
      let pageToken = "";
      do {
        const answer = (await service.getTraceEvents!(create(GetTraceEventsRequestSchema, { traceId: hexToBytes(TRACE), pageSize, pageToken }), {} as HandlerContext)) as GetTraceEventsResponse;
        const bytes = Buffer.from(toBinary(GetTraceEventsResponseSchema, answer));
        const page = fromBinary(GetTraceEventsResponseSchema, bytes);
        answers.push({ bytes, page, preEncoded: isPreEncoded(answer) });
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      return answers;
    };
    const envelopes = (await store.readStream(TRACE)).map(toEnvelope);
    const expectedBytes = (from: number, to: number, nextPageToken: string) =>
      Buffer.from(toBinary(GetTraceEventsResponseSchema, create(GetTraceEventsResponseSchema, { events: envelopes.slice(from, to), nextPageToken })));

    const long = await pages(1800);
    expect(long.map((a) => [a.page.events.length, a.preEncoded])).toEqual([
      [1800, true],
      [events.length - 1800, true],
    ]);
    const same = (a: Buffer, b: Buffer) => Buffer.compare(a, b) === 0;
    expect(same(long[0]!.bytes, expectedBytes(0, 1800, long[0]!.page.nextPageToken))).toBe(true);
    expect(same(long[1]!.bytes, expectedBytes(1800, events.length, ""))).toBe(true);

    const usual = await pages(0);
    expect(usual.every((a) => !a.preEncoded)).toBe(true);
    const listed = (answers: typeof usual) => Buffer.from(toBinary(GetTraceEventsResponseSchema, create(GetTraceEventsResponseSchema, { events: answers.flatMap((a) => a.page.events) })));
    expect(same(listed(usual), expectedBytes(0, events.length, ""))).toBe(true);
    expect(same(listed(long), expectedBytes(0, events.length, ""))).toBe(true);
    await close();
  });
});
