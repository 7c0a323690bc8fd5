import { describe, expect, it } from "vitest";
import { plainRouter } from "./plain-routes.js";

describe("plainRouter", () => {
  it("refuses two routes for the same method and path, which would make one unreachable", () => {
    const handle = () => undefined;
    expect(() =>
      plainRouter(
        [
          { method: "GET", path: "/metrics", handle },
          { method: "get", path: "/metrics", handle },
        ],
        () => undefined,
      ),
    ).toThrow("two plain routes for GET /metrics");
  });
});
