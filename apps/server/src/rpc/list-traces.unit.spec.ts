import { describe, expect, it } from "vitest";
import { ConnectError } from "@connectrpc/connect";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ListTracesRequestSchema, TraceSummarySchema, type StatusCode, type TraceState } from "@traceledger/proto";
import { ErrorInfoSchema } from "@traceledger/proto/google-rpc";
import type { TraceListKey, TraceListQuery } from "../projections/trace-listing.js";
import { listTraces } from "./list-traces.js";
import { readTraceListToken, traceListHash, traceListToken } from "./page-tokens.js";

const key: TraceListKey = { listedAt: 1_764_000_000_000_000_000n, traceId: "0af7651916cd43dd8448eb211c80319c" };

/** A listing that records the queries it was asked and answers one trace, with `next` as given. */
function fakeListing(next: TraceListKey | undefined) {
  const queries: TraceListQuery[] = [];
  const listing = {
    listTraces(query: TraceListQuery) {
      queries.push(query);
      return Promise.resolve({ traces: [create(TraceSummarySchema, { rootName: "root" })], next });
    },
  };
  return { listing, queries };
}

const request = (fields: MessageInitShape<typeof ListTracesRequestSchema>) => create(ListTracesRequestSchema, fields);

async function reason(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "answered";
  } catch (error) {
    const e = ConnectError.from(error);
    return `${e.code}/${e.findDetails(ErrorInfoSchema)[0]?.reason}: ${e.rawMessage}`;
  }
}

describe("ListTraces at the RPC edge", () => {
  it("refuses a negative page size or a state or status outside its enum before asking the projection", async () => {
    const { listing, queries } = fakeListing(undefined);
    expect({
      pageSize: await reason(listTraces(listing, request({ pageSize: -1 }))),
      state: await reason(listTraces(listing, request({ state: 99 as TraceState }))),
      status: await reason(listTraces(listing, request({ status: -1 as StatusCode }))),
      token: await reason(listTraces(listing, request({ pageToken: "bm9wZQ" }))),
    }).toEqual({
      pageSize: "3/INVALID_PAGE_SIZE: page_size must not be negative (got -1); 0 means 50",
      state: "3/INVALID_TRACE_STATE: state 99 is not a TraceState (1 open, 2 completed; 0 lists both)",
      status: "3/INVALID_STATUS_CODE: status -1 is not a StatusCode (1 OK, 2 ERROR; 0 lists both)",
      token: "3/INVALID_PAGE_TOKEN: page_token is not a token this server issued",
    });
    expect(queries).toEqual([]);
  });

  it("asks for 50 traces when page_size is 0 and at most 1000, with the filters and the key the token carries", async () => {
    const { listing, queries } = fakeListing(undefined);
    await listTraces(listing, request({ serviceName: "gateway" }));
    await listTraces(listing, request({ serviceName: "gateway", pageSize: 5000 }));
    await listTraces(listing, request({ serviceName: "gateway", pageSize: 3 }));
    const hash = traceListHash(request({ serviceName: "gateway" }));
    await listTraces(listing, request({ serviceName: "gateway", pageSize: 3, pageToken: traceListToken(key, hash) }));
    expect(queries.map((q) => ({ pageSize: q.pageSize, after: q.after, serviceName: q.filters.serviceName }))).toEqual([
      { pageSize: 50, after: undefined, serviceName: "gateway" },
      { pageSize: 1000, after: undefined, serviceName: "gateway" },
      { pageSize: 3, after: undefined, serviceName: "gateway" },
      { pageSize: 3, after: key, serviceName: "gateway" },
    ]);
  });

  it("answers the projection's traces, with a token to the next page only when more follow", async () => {
    const more = await listTraces(fakeListing(key).listing, request({ serviceName: "gateway", pageSize: 1 }));
    expect(more.traces.map((t) => t.rootName)).toEqual(["root"]);
    expect(readTraceListToken(more.nextPageToken, traceListHash(request({ serviceName: "gateway" })))).toEqual(key);
    expect((await listTraces(fakeListing(undefined).listing, request({ serviceName: "gateway" }))).nextPageToken).toBe("");
  });
});
