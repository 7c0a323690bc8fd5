import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "./database-unavailable.js";

describe("isDatabaseUnavailable", () => {
  it("knows a database out of reach: sockets refused or reset, connections closed or dropped, a server going away", () => {
    for (const code of ["ECONNREFUSED", "ECONNRESET", "CONNECTION_CLOSED", "CONNECT_TIMEOUT", "CONNECTION_DROPPED", "08006", "08001", "57P01", "57P03", "53300"]) {
      expect(isDatabaseUnavailable(Object.assign(new Error("x"), { code })), code).toBe(true);
    }
  });

  it("leaves everything else to INTERNAL: constraint violations, syntax errors, other Node errors, plain values", () => {
    for (const error of [Object.assign(new Error("x"), { code: "23505" }), Object.assign(new Error("x"), { code: "42601" }), Object.assign(new Error("x"), { code: "ERR_INVALID_ARG_TYPE" }), Object.assign(new Error("x"), { code: "08" }), new Error("x"), "ECONNREFUSED", null, undefined]) {
      expect(isDatabaseUnavailable(error)).toBe(false);
    }
  });
});
