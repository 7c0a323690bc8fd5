// ListTraces at the RPC edge: the request checked, its page size settled and its
// page token read before the projection is asked; the next page's token written
// from where the page stopped.

import { create } from "@bufbuild/protobuf";
import { ListTracesResponseSchema, StatusCode, TraceState, type ListTracesRequest, type ListTracesResponse } from "@traceledger/proto";
import type { TraceListing } from "../projections/trace-listing.js";
import { readTraceListToken, traceListHash, traceListToken } from "./page-tokens.js";
import { invalidArgument } from "./rpc-error.js";

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

export async function listTraces(listing: TraceListing, request: ListTracesRequest): Promise<ListTracesResponse> {
  if (request.pageSize < 0) {
    throw invalidArgument("INVALID_PAGE_SIZE", `page_size must not be negative (got ${request.pageSize}); 0 means ${DEFAULT_PAGE}`, { page_size: String(request.pageSize) });
  }
  if (request.state !== TraceState.UNSPECIFIED && TraceState[request.state] === undefined) {
    throw invalidArgument("INVALID_TRACE_STATE", `state ${request.state} is not a TraceState (1 open, 2 completed; 0 lists both)`, { state: String(request.state) });
  }
  if (request.status !== StatusCode.UNSPECIFIED && StatusCode[request.status] === undefined) {
    throw invalidArgument("INVALID_STATUS_CODE", `status ${request.status} is not a StatusCode (1 OK, 2 ERROR; 0 lists both)`, { status: String(request.status) });
  }
  const pageSize = request.pageSize === 0 ? DEFAULT_PAGE : Math.min(request.pageSize, MAX_PAGE);
  const hash = traceListHash(request);
  const after = request.pageToken ? readTraceListToken(request.pageToken, hash) : undefined;
  const page = await listing.listTraces({ filters: request, pageSize, after });
  return create(ListTracesResponseSchema, {
    traces: page.traces,
    nextPageToken: page.next ? traceListToken(page.next, hash) : "",
  });
}
