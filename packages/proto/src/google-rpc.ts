// google.rpc error types, a separate entry point because their names (Status)
// collide with traceledger.v1's. Import from "@traceledger/proto/google-rpc".

export type { BadRequest, BadRequest_FieldViolation, ErrorInfo, RetryInfo } from "./gen/google/rpc/error_details_pb.js";
export { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema, file_google_rpc_error_details } from "./gen/google/rpc/error_details_pb.js";
export type { Status as RpcStatus } from "./gen/google/rpc/status_pb.js";
export { StatusSchema as RpcStatusSchema, file_google_rpc_status } from "./gen/google/rpc/status_pb.js";
