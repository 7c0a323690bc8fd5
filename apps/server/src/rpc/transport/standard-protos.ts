// The reflection services are loaded from their .proto files at run time with
// @grpc/proto-loader: they are small, fixed, and need no generated code of
// their own. (Health is served from generated code in @traceledger/proto, so
// that reflection, which describes services by their generated descriptors,
// lists it too.) Their messages are plain objects with the
// .proto field names (keepCase), enum values as names, and oneofs named by
// the virtual field that says which member is set.

import type { ServiceDefinition } from "@grpc/grpc-js";
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

/** The include path of the standard .proto files, for foreign clients in tests too. */
export const STANDARD_PROTO_ROOT = fileURLToPath(new URL("./protos", import.meta.url));

export const REFLECTION_V1_PROTO = "grpc/reflection/v1/reflection.proto";
export const REFLECTION_V1ALPHA_PROTO = "grpc/reflection/v1alpha/reflection.proto";

type StandardService = "grpc.reflection.v1.ServerReflection" | "grpc.reflection.v1alpha.ServerReflection";

let loaded: PackageDefinition | undefined;

export function standardServiceDefinition(name: StandardService): ServiceDefinition {
  loaded ??= loadSync([REFLECTION_V1_PROTO, REFLECTION_V1ALPHA_PROTO], {
    includeDirs: [STANDARD_PROTO_ROOT],
    keepCase: true,
    enums: String,
    longs: String,
    defaults: false,
    oneofs: true,
  });
  return loaded[name] as ServiceDefinition;
}
