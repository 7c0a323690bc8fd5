// grpc.health.v1.Health: Check, List and Watch over a status per service and
// one for the server as a whole (the empty name). Every status starts
// NOT_SERVING: the app declares itself serving once it is ready, and not
// serving again when it starts to shut down. Between the two, what the app
// declared serving is also subject to its readiness check (the one /readyz
// answers by): while that says not ready (the database unreachable) every
// status is NOT_SERVING, so a Kubernetes gRPC probe, Envoy or a client's own
// health checking sends the calls to a replica that can serve them.

import { create } from "@bufbuild/protobuf";
import { status as grpcStatus, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation } from "@grpc/grpc-js";
import {
  HealthCheckResponse_ServingStatus as Status,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthListResponse,
} from "@traceledger/proto/grpc-health";
import { EventEmitter } from "node:events";
import { endStreamOnShutdown } from "./end-stream-on-shutdown.js";
import { MalformedRequest, type GrpcRequest } from "./grpc-service-definition.js";
import type { ReadinessCheck } from "./probe-routes.js";

export type ServingStatus = "SERVING" | "NOT_SERVING";

/**
 * How long one readiness answer stands: probes and load balancers calling Check
 * often, from many places, ask the database at most once a second; watchers
 * learn of a change within a second or so.
 */
export const READINESS_CACHE_MS = 1000;

const STATUS: Readonly<Record<ServingStatus, Status>> = { SERVING: Status.SERVING, NOT_SERVING: Status.NOT_SERVING };
const answer = (status: Status): HealthCheckResponse => create(HealthCheckResponseSchema, { status });

/** The service a request names; undefined for a request that did not decode (INVALID_ARGUMENT). */
function serviceOf(call: ServerUnaryCall<GrpcRequest, unknown> | ServerWritableStream<GrpcRequest, unknown>): string | undefined {
  const request = call.request;
  return request instanceof MalformedRequest ? undefined : (request as HealthCheckRequest).service;
}
const MALFORMED = { code: grpcStatus.INVALID_ARGUMENT, details: "the request is not a grpc.health.v1.HealthCheckRequest" };

interface HealthOptions {
  /** Ends the Watch streams (UNAVAILABLE). */
  readonly streamShutdown: AbortSignal;
  /** The app's readiness; it must settle promptly (Check waits for it). Default: ready whenever declared serving. */
  readonly ready?: ReadinessCheck;
  /** Default READINESS_CACHE_MS. */
  readonly readinessCacheMs?: number;
}

interface HealthService {
  readonly implementation: UntypedServiceImplementation;
  /** The status of one service; "" is the server as a whole. */
  setStatus(service: string, status: ServingStatus): void;
  /** The status of every known service and of the server. */
  setAll(status: ServingStatus): void;
}

export function createHealthService(serviceNames: readonly string[], options: HealthOptions): HealthService {
  const { streamShutdown, ready: readinessCheck } = options;
  const cacheMs = options.readinessCacheMs ?? READINESS_CACHE_MS;
  // What the app declared; what is answered also depends on the readiness below.
  const declared = new Map<string, ServingStatus>(["", ...serviceNames].map((name) => [name, "NOT_SERVING"]));
  const changes = new EventEmitter().setMaxListeners(0);
  const setStatus = (service: string, status: ServingStatus): void => {
    if (declared.get(service) === status) return;
    declared.set(service, status);
    changes.emit("change", service);
  };

  // The last readiness answer, when it came, and the check under way (one at a time).
  let ready = readinessCheck === undefined;
  let checkedAt = -Infinity;
  let checking: Promise<boolean> | undefined;
  const readiness = (maxAgeMs = cacheMs): Promise<boolean> => {
    if (readinessCheck === undefined || performance.now() - checkedAt < maxAgeMs) return Promise.resolve(ready);
    checking ??= (async () => {
      let answer: boolean;
      try {
        answer = (await readinessCheck()).ready;
      } catch {
        answer = false;
      }
      checkedAt = performance.now();
      checking = undefined;
      if (answer !== ready) {
        ready = answer;
        changes.emit("readiness");
      }
      return answer;
    })();
    return checking;
  };
  const anyServing = (): boolean => [...declared.values()].includes("SERVING");
  /** The status to answer for `service` by the last readiness answer (undefined: unknown). */
  const statusNow = (service: string): ServingStatus | undefined => {
    const status = declared.get(service);
    return status === "SERVING" && !ready ? "NOT_SERVING" : status;
  };
  /** Runs `then` once readiness is current for `services`: at once unless one is declared serving and the answer is stale. */
  const current = (services: readonly string[], then: () => void): void => {
    if (readinessCheck === undefined || performance.now() - checkedAt < cacheMs || !services.some((service) => declared.get(service) === "SERVING")) then();
    else void readiness().then(then);
  };

  // Watchers hear of readiness changes by a poll, run only while there are watchers.
  let watchers = 0;
  let poll: NodeJS.Timeout | undefined;
  const watching = (delta: 1 | -1): void => {
    watchers += delta;
    if (readinessCheck === undefined) return;
    if (watchers > 0 && poll === undefined) {
      poll = setInterval(() => {
        if (anyServing()) void readiness(0);
      }, cacheMs);
      poll.unref();
    } else if (watchers === 0 && poll !== undefined) {
      clearInterval(poll);
      poll = undefined;
    }
  };

  const implementation = {
    Check(call: ServerUnaryCall<GrpcRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) {
      const service = serviceOf(call);
      if (service === undefined) return callback(MALFORMED);
      current([service], () => {
        const status = statusNow(service);
        if (status) callback(null, answer(STATUS[status]));
        else callback({ code: grpcStatus.NOT_FOUND, details: `unknown service "${service}"` });
      });
    },
    List(_call: ServerUnaryCall<GrpcRequest, HealthListResponse>, callback: sendUnaryData<HealthListResponse>) {
      current([...declared.keys()], () => {
        const statuses = Object.fromEntries([...declared.keys()].map((service) => [service, answer(STATUS[statusNow(service)!])]));
        callback(null, create(HealthListResponseSchema, { statuses }));
      });
    },
    Watch(call: ServerWritableStream<GrpcRequest, HealthCheckResponse>) {
      const service = serviceOf(call);
      if (service === undefined) return void call.emit("error", MALFORMED);
      let last: Status | undefined;
      let ended = false;
      // Synchronous when it can be: at close, NOT_SERVING must be written before the stream ends.
      const send = (): void =>
        current([service], () => {
          const now = statusNow(service);
          const status = now === undefined ? Status.SERVICE_UNKNOWN : STATUS[now];
          if (ended || status === last) return;
          last = status;
          call.write(answer(status));
        });
      const onChange = (changed: string): void => {
        if (changed === service) send();
      };
      changes.on("change", onChange);
      changes.on("readiness", send);
      watching(1);
      endStreamOnShutdown(call, streamShutdown, () => {
        ended = true;
        changes.off("change", onChange);
        changes.off("readiness", send);
        watching(-1);
      });
      if (!streamShutdown.aborted) send();
    },
  };
  return {
    implementation,
    setStatus,
    setAll: (status) => [...declared.keys()].forEach((service) => setStatus(service, status)),
  };
}
