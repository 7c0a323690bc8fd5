// Decodes ExportTraceServiceRequest bytes with a decoder nobody here wrote: the
// official OpenTelemetry Python classes (the opentelemetry-proto package, in the
// project's .venv), printed with protobuf's own proto3 JSON mapping. If our
// .proto files had a wrong field number or type, this view and protobuf-es's
// view of the same bytes would differ.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./server-process.js";

const PYTHON = path.join(REPO_ROOT, ".venv", "bin", "python");

const SCRIPT = `
import sys, json
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from google.protobuf.json_format import MessageToDict
out = []
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    message = ExportTraceServiceRequest()
    message.ParseFromString(bytes.fromhex(line))
    out.append(MessageToDict(message))
print(json.dumps(out))
`;

/**
 * Whether to run the check against the official Python OTLP classes (npm ci installs them
 * into .venv): skipped on a machine without them, but never under CI, where a missing
 * decoder must fail the run rather than silently drop the check.
 */
export function stockDecoderAvailable(): boolean {
  return existsSync(PYTHON) || process.env.CI === "true";
}

/** Each body decoded by opentelemetry-proto, as proto3 JSON. */
export function decodeWithStockDecoder(bodies: readonly Uint8Array[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ["-c", SCRIPT], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`the stock decoder failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as unknown[]);
    });
    child.stdin!.end(bodies.map((b) => Buffer.from(b).toString("hex")).join("\n"));
  });
}
