import { describe, expect, it } from "vitest";
import { redactDatabaseUrl } from "./redact-database-url.js";

describe("redactDatabaseUrl", () => {
  it("replaces the password, keeping the user, host, port, database and parameters", () => {
    expect(redactDatabaseUrl("postgres://app:s3cret@db.internal:5432/traces?sslmode=require")).toBe("postgres://app:***@db.internal:5432/traces?sslmode=require");
    expect(redactDatabaseUrl("postgresql://app@server:s3cret@db:5432/traces")).toBe("postgresql://app@server:***@db:5432/traces");
    expect(redactDatabaseUrl("postgres://app@db/traces")).toBe("postgres://app@db/traces");
    expect(redactDatabaseUrl("postgres://db/traces")).toBe("postgres://db/traces");
  });

  it("masks all of a password with an unencoded @ # / or ? in it, which the URL parser cuts short", () => {
    for (const password of ["p@ss#w0rd", "p@ss/w0rd", "p@ss?w0rd", "p@ss@w0rd", "pa%zzss"]) {
      const redacted = redactDatabaseUrl(`postgres://app:${password}@127.0.0.1:5432/traceledger`);
      expect(redacted).toBe("postgres://app:***@127.0.0.1:5432/traceledger");
    }
  });

  it("says so for what is no URL, rather than echoing it", () => {
    expect(redactDatabaseUrl("app:s3cret@db")).toBe("the DATABASE_URL (not a URL)");
  });
});
