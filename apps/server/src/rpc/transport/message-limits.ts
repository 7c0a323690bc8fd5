/** gRPC's customary per-message limit, and grpc-js's default for receiving; both doors use it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
