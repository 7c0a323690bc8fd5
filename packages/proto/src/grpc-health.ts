// grpc.health.v1, the standard health checking service, a separate entry point
// since only the server serves it. Import from "@traceledger/proto/grpc-health".

export type { HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse } from "./gen/grpc/health/v1/health_pb.js";
export {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus,
  HealthListRequestSchema,
  HealthListResponseSchema,
  file_grpc_health_v1_health,
} from "./gen/grpc/health/v1/health_pb.js";
