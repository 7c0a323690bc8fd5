import { create } from "@bufbuild/protobuf";
import { StartSpanRequestSchema } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { startSpanCommand } from "./to-command.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

const flagsOf = (traceparent: string) => {
  const command = startSpanCommand(create(StartSpanRequestSchema, { traceparent, name: "charge card", serviceName: "payments" }));
  return "flags" in command ? command.flags : command;
};

describe("StartSpan under a traceparent from another system", () => {
  it("takes the flags W3C defines (sampled, random trace id) and not the reserved bits, which would be stored and exported", () => {
    expect(flagsOf(`00-${TRACE}-${PARENT}-ff`)).toBe(0x03);
    expect(flagsOf(`00-${TRACE}-${PARENT}-fc`)).toBe(0x00);
    expect(flagsOf(`00-${TRACE}-${PARENT}-01`)).toBe(0x01);
    expect(flagsOf(`00-${TRACE}-${PARENT}-02`)).toBe(0x02);
  });
});
