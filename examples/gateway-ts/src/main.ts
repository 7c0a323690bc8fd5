// Runs the gateway: configured by PORT, TRACELEDGER_GRPC, NEXT_URL and
// SERVICE_NAME (the polyglot example's contract), prints {"listening":<port>}
// once bound, and on SIGTERM or SIGINT stops and ships its queued spans.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createTracer } from "@traceledger/sdk";
import { gatewayHandler } from "./gateway.js";

const serviceName = process.env["SERVICE_NAME"] || "gateway-ts";
const tracer = createTracer({ serviceName, url: `http://${process.env["TRACELEDGER_GRPC"] || "127.0.0.1:7317"}` });
const nextUrl = process.env["NEXT_URL"] || undefined;
const server = createServer(gatewayHandler({ tracer, serviceName, ...(nextUrl ? { nextUrl } : {}) }));

server.listen(Number(process.env["PORT"] || 0), "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ listening: (server.address() as AddressInfo).port })}\n`);
});

const stop = () => {
  server.close();
  server.closeIdleConnections();
  void tracer.shutdown().then(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
