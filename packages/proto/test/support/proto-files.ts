import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The repository's proto root, the include path every language generates from. */
export const protoRoot = fileURLToPath(new URL("../../../../proto", import.meta.url));

/** The traceledger.v1 .proto files, relative to protoRoot. */
export function traceledgerProtoFiles(): string[] {
  return readdirSync(join(protoRoot, "traceledger/v1"))
    .filter((name) => name.endsWith(".proto"))
    .map((name) => `traceledger/v1/${name}`);
}
