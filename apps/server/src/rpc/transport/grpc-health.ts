// grpc.health.v1.Health: Check, List and Watch over a status per service and
// one for the server as a whole (the empty name). Every status starts
// NOT_SERVING: the app declares itself serving once it is ready, and not
// serving again when it starts to shut down.

import { status as grpcStatus, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { EventEmitter } from "node:events";
import { endStreamOnShutdown } from "./end-stream-on-shutdown.js";

export type ServingStatus = "SERVING" | "NOT_SERVING";

interface HealthCheckRequest {
  service?: string;
}
interface HealthCheckResponse {
  status: ServingStatus | "SERVICE_UNKNOWN";
}

interface HealthService {
  readonly implementation: UntypedServiceImplementation;
  /** The status of one service; "" is the server as a whole. */
  setStatus(service: string, status: ServingStatus): void;
  /** The status of every known service and of the server. */
  setAll(status: ServingStatus): void;
}

export function createHealthService(serviceNames: readonly string[], streamShutdown: AbortSignal): HealthService {
  const statuses = new Map<string, ServingStatus>(["", ...serviceNames].map((name) => [name, "NOT_SERVING"]));
  const changes = new EventEmitter().setMaxListeners(0);
  const setStatus = (service: string, status: ServingStatus): void => {
    if (statuses.get(service) === status) return;
    statuses.set(service, status);
    changes.emit("change", service);
  };

  const implementation = {
    Check(call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) {
      const service = call.request.service ?? "";
      const status = statuses.get(service);
      if (status) callback(null, { status });
      else callback({ code: grpcStatus.NOT_FOUND, details: `unknown service "${service}"` });
    },
    List(_call: ServerUnaryCall<object, object>, callback: sendUnaryData<object>) {
      callback(null, { statuses: Object.fromEntries([...statuses].map(([service, status]) => [service, { status }])) });
    },
    Watch(call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) {
      const service = call.request.service ?? "";
      let last: HealthCheckResponse["status"] | undefined;
      const send = (): void => {
        const status = statuses.get(service) ?? "SERVICE_UNKNOWN";
        if (status !== last) call.write({ status });
        last = status;
      };
      const onChange = (changed: string): void => {
        if (changed === service) send();
      };
      changes.on("change", onChange);
      endStreamOnShutdown(call, streamShutdown, () => changes.off("change", onChange));
      if (!streamShutdown.aborted) send();
    },
  };
  return {
    implementation,
    setStatus,
    setAll: (status) => [...statuses.keys()].forEach((service) => setStatus(service, status)),
  };
}
