import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { plainRouter, type PlainRoute } from "./plain-routes.js";

describe("plainRouter", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** The router on a real HTTP server on an ephemeral port; returns its base URL and what it reported as internal errors. */
  async function serve(routes: readonly PlainRoute[]): Promise<{ base: string; internal: string[] }> {
    const internal: string[] = [];
    const handle = plainRouter(routes, (_error, where) => internal.push(where));
    server = createServer((request, response) => void handle(request, response));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, internal };
  }

  it("refuses two routes for the same method and path, which would make one unreachable", () => {
    const handle = () => undefined;
    expect(() =>
      plainRouter(
        [
          { method: "GET", path: "/metrics", handle },
          { method: "get", path: "/metrics", handle },
        ],
        () => undefined,
      ),
    ).toThrow("two plain routes for GET /metrics");
  });

  it("answers another method with 405 and Allow, and a throwing handler with 500, as JSON by default", async () => {
    const { base, internal } = await serve([{ method: "POST", path: "/x", handle: () => Promise.reject(new Error("boom")) }]);
    const wrong = await fetch(`${base}/x`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect(await wrong.json()).toEqual({ error: "method_not_allowed", message: "GET is not allowed on /x" });
    const broken = await fetch(`${base}/x`, { method: "POST" });
    expect(broken.status).toBe(500);
    expect(await broken.json()).toEqual({ error: "internal", message: "internal error" });
    expect(internal).toEqual(["POST /x"]);
  });

  it("lets a route write those refusals in its own protocol's format", async () => {
    const refuse: PlainRoute["refuse"] = (response, status, message) => {
      response.writeHead(status, { "content-type": "text/x-own" });
      response.end(`${status}: ${message}`);
    };
    const { base, internal } = await serve([{ method: "POST", path: "/own", handle: () => { throw new Error("boom"); }, refuse }]);
    const wrong = await fetch(`${base}/own`, { method: "PUT" });
    expect([wrong.status, wrong.headers.get("content-type"), wrong.headers.get("allow"), await wrong.text()]).toEqual([405, "text/x-own", "POST", "405: PUT is not allowed on /own"]);
    const broken = await fetch(`${base}/own`, { method: "POST" });
    expect([broken.status, await broken.text()]).toEqual([500, "500: internal error"]);
    expect(internal).toEqual(["POST /own"]);
  });

  it("does not report a client that hung up while sending its body as an internal error", async () => {
    const read: PlainRoute["handle"] = (request) =>
      new Promise<void>((resolve, reject) => {
        request.on("data", () => {});
        request.on("end", resolve);
        request.on("error", reject);
        request.on("aborted", () => reject(new Error("aborted")));
      });
    const { base, internal } = await serve([{ method: "POST", path: "/body", handle: read }]);
    const { port } = new URL(base);
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write("POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc");
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(internal).toEqual([]);
  });
});
