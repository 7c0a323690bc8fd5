import { encodeBinaryHeader } from "@connectrpc/connect";
import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { appendHeadersToMetadata, metadataToHeaders } from "./grpc-metadata.js";

describe("gRPC metadata and Headers", () => {
  it("carries text values, repeated values and binary values (base64 in Headers)", () => {
    const metadata = new Metadata();
    metadata.add("x-tenant", "acme");
    metadata.add("x-tag", "a");
    metadata.add("x-tag", "b");
    metadata.add("x-token-bin", Buffer.from([0, 1, 254, 255]));
    const headers = metadataToHeaders(metadata);
    expect(headers.get("x-tenant")).toBe("acme");
    expect(headers.get("x-tag")).toBe("a, b");
    expect(headers.get("x-token-bin")).toBe(encodeBinaryHeader(new Uint8Array([0, 1, 254, 255])));

    const back = appendHeadersToMetadata(headers);
    expect(back.get("x-tenant")).toEqual(["acme"]);
    expect(back.get("x-token-bin")).toEqual([Buffer.from([0, 1, 254, 255])]);
  });

  it("leaves out headers the transport owns and values HTTP/2 metadata cannot carry", () => {
    const headers = new Headers({ "content-type": "text/plain", "grpc-status": "0", te: "trailers", "x-ok": "yes", "x-bad": "caf\u00e9" });
    expect(appendHeadersToMetadata(headers).toJSON()).toEqual({ "x-ok": ["yes"] });
  });
});
