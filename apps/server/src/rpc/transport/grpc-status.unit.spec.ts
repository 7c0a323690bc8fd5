import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { Metadata } from "@grpc/grpc-js";
import { ErrorInfoSchema, RpcStatusSchema } from "@traceledger/proto/google-rpc";
import { describe, expect, it } from "vitest";
import { STATUS_DETAILS_KEY, toGrpcStatus } from "./grpc-status.js";

const info = { reason: "SPAN_ALREADY_ENDED", domain: "traceledger.dev", metadata: { span_id: "00f067aa0ba902b7" } };

function statusDetails(metadata: Metadata) {
  const [bytes] = metadata.get(STATUS_DETAILS_KEY);
  return fromBinary(RpcStatusSchema, bytes as Buffer);
}

describe("toGrpcStatus", () => {
  it("keeps the code and the message without connect's [code] prefix", () => {
    const status = toGrpcStatus(new ConnectError("span has already ended", Code.FailedPrecondition));
    expect(status.code).toBe(9);
    expect(status.details).toBe("span has already ended");
    expect(status.metadata.get(STATUS_DETAILS_KEY)).toEqual([]);
  });

  it("packs details into a google.rpc.Status in grpc-status-details-bin", () => {
    const status = toGrpcStatus(new ConnectError("ended", Code.FailedPrecondition, undefined, [{ desc: ErrorInfoSchema, value: info }]));
    const rpcStatus = statusDetails(status.metadata);
    expect([rpcStatus.code, rpcStatus.message]).toEqual([9, "ended"]);
    expect(rpcStatus.details[0]?.typeUrl).toBe("type.googleapis.com/google.rpc.ErrorInfo");
    expect(anyUnpack(rpcStatus.details[0]!, ErrorInfoSchema)).toMatchObject(info);
  });

  it("passes on details received from another service as they came", () => {
    const error = new ConnectError("upstream failed", Code.Unavailable);
    error.details.push({ type: "google.rpc.ErrorInfo", value: toBinary(ErrorInfoSchema, create(ErrorInfoSchema, info)) });
    expect(anyUnpack(statusDetails(toGrpcStatus(error).metadata).details[0]!, ErrorInfoSchema)).toMatchObject(info);
  });

  it("sends the error's metadata and the given trailers", () => {
    const trailers = new Metadata();
    trailers.set("x-trailer", "done");
    const status = toGrpcStatus(new ConnectError("no", Code.NotFound, { "x-request-id": "r1" }), trailers);
    expect(status.metadata.get("x-request-id")).toEqual(["r1"]);
    expect(status.metadata.get("x-trailer")).toEqual(["done"]);
  });
});
