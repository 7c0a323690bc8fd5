// The services of the chain, in call order, each with the toolchain it needs,
// its one-time build and its start command. A machine without a toolchain
// leaves that service out of the chain with a message; under CI=true a missing
// toolchain is a failure, so CI always runs all four languages.

import { execFile, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { ServiceCommand } from "./service-process.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const run = promisify(execFile);

export interface ChainService {
  /** SERVICE_NAME, and the service name of its spans. */
  readonly name: string;
  readonly language: string;
  /** What it needs, for the skip message. */
  readonly needs: string;
  /** True when this machine has the toolchain. */
  available(): boolean;
  /** Builds what needs building (once; outputs under `workDir`, the run's own folder) and gives the start command. */
  prepare(workDir: string): Promise<ServiceCommand>;
  /** The OTLP endpoint for its stock OpenTelemetry SDK, if it has one. */
  otlpEndpoint?(addresses: { grpc: string; http: string }): string;
}

const probe = (command: string, args: string[], cwd = REPO_ROOT) => spawnSync(command, args, { cwd, stdio: "ignore" }).status === 0;
const python = path.join(REPO_ROOT, ".venv", "bin", "python");

export const CHAIN: readonly ChainService[] = [
  {
    name: "gateway-ts",
    language: "TypeScript",
    needs: "Node.js",
    available: () => true,
    prepare: async () => ({ command: process.execPath, args: ["--import", "tsx", "examples/gateway-ts/src/main.ts"], cwd: REPO_ROOT }),
  },
  {
    name: "service-python",
    language: "Python",
    needs: "Python 3 with the packages of examples/service-python/requirements.txt in .venv (npm ci installs them)",
    available: () => probe(python, ["-c", "import grpc, google.protobuf, opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http"]),
    prepare: async () => ({ command: python, args: ["examples/service-python/src/service.py"], cwd: REPO_ROOT }),
    otlpEndpoint: ({ http }) => `http://${http}/v1/traces`,
  },
  {
    name: "service-go",
    language: "Go",
    needs: "Go 1.26+",
    available: () => probe("go", ["version"]),
    prepare: async (workDir) => {
      // Built once per run: `go run` would compile again at every start. A cold
      // build (gRPC and OpenTelemetry) takes about a minute on 2 cores.
      const binary = path.join(workDir, "service-go");
      await run("go", ["build", "-o", binary, "."], { cwd: path.join(REPO_ROOT, "examples/service-go") });
      return { command: binary, args: [], cwd: REPO_ROOT };
    },
    otlpEndpoint: ({ grpc }) => `http://${grpc}`,
  },
  {
    name: "service-java",
    language: "Java",
    needs: "a JDK 17+ and Maven 3.8+",
    available: () => probe("java", ["-version"]) && probe("mvn", ["-v"]),
    prepare: async () => {
      // The command of examples/service-java/README.md, into a build folder of
      // its own so that another Maven run (its build or test target) never
      // writes the same files at the same time.
      const dir = path.join(REPO_ROOT, "examples/service-java");
      await run("mvn", ["-q", "-B", "-DskipTests", "-Dbuild.folder=target/nx-e2e", "package"], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
      return { command: "java", args: ["-jar", path.join(dir, "target", "nx-e2e", "service-java.jar")], cwd: dir };
    },
    otlpEndpoint: ({ http }) => `http://${http}/v1/traces`,
  },
];

/** The services this machine can run, in call order; throws under CI=true if one cannot run. */
export function availableChain(services: readonly ChainService[] = CHAIN): ChainService[] {
  const missing = services.filter((s) => !s.available());
  if (missing.length > 0) {
    const list = missing.map((s) => `${s.name} (${s.language}: needs ${s.needs})`).join("; ");
    if (process.env["CI"] === "true") throw new Error(`FAILED: cannot run ${list}. CI must run the whole chain: see .ci/run.`);
    console.warn(`SKIPPED: ${list}. The chain runs without them; install them to run all four languages (CI does).`);
  }
  return services.filter((s) => !missing.includes(s));
}
