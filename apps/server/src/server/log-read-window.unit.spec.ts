import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/server-config.js";
import { logReadWindow } from "./log-read-window.js";

describe("logReadWindow", () => {
  it("keeps pages when the monitoring saga or the OTLP export reads the log beside the ListTraces projector", () => {
    expect(logReadWindow(loadConfig({}))).toEqual({ maxEvents: 20_000, maxBytes: 32 * 1024 * 1024 });
    expect(logReadWindow(loadConfig({ MONITORING_ENABLED: "false", OTLP_ENDPOINT: "http://127.0.0.1:4318/v1/traces" }))).toBeDefined();
  });

  it("keeps none when the projector is the only reader: nobody would take them again", () => {
    expect(logReadWindow(loadConfig({ MONITORING_ENABLED: "false" }))).toBeUndefined();
  });
});
