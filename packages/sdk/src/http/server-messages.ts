// The request and response of a server's `request` event, for node:http (and
// https) and for node:http2's compatibility API: the integrations only use what
// both have (url, method, headers, socket; setHeader, statusCode, end, events).

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

export type HttpServerRequest = IncomingMessage | Http2ServerRequest;

export type HttpServerResponse = ServerResponse | Http2ServerResponse;

/** The response node pairs with a request of type `Req`. */
export type ResponseFor<Req extends HttpServerRequest> = Req extends IncomingMessage
  ? ServerResponse<Req>
  : Req extends Http2ServerRequest
    ? Http2ServerResponse<Req>
    : never;
