import { describe, expect, it } from "vitest";
import { ConfigError, helpText, loadConfig, SETTINGS } from "./server-config.js";

describe("server configuration from the environment", () => {
  it("has documented defaults that do not clash with OTLP's 4317 and 4318", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ host: "127.0.0.1", grpcPort: 7317, httpPort: 7318, databaseUrl: undefined, tracingEnabled: true, sampleRate: 1 });
    expect(config.attributeCountLimit).toBe(128);
    expect(config.attributeValueLengthLimit).toBe(Infinity);
    expect([config.eventCountLimit, config.linkCountLimit]).toEqual([128, 128]);
    expect([config.grpcPort, config.httpPort]).not.toContain(4317);
    expect([config.grpcPort, config.httpPort]).not.toContain(4318);
  });

  it("reads the names users know", () => {
    const config = loadConfig({
      DATABASE_URL: "postgres://u:p@db:5432/traces",
      TRACING_ENABLED: "false",
      TRACING_SAMPLE_RATE: "0.25",
      OTEL_SERVICE_NAME: "tl-1",
      OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: "256",
      OTEL_SPAN_EVENT_COUNT_LIMIT: "0",
      OTEL_SPAN_LINK_COUNT_LIMIT: "32",
      TRACELEDGER_CORS_ALLOWED_ORIGINS: " https://app.example.com, http://localhost:3000 ",
    });
    expect(config.corsAllowedOrigins).toEqual(["https://app.example.com", "http://localhost:3000"]);
    expect(loadConfig({}).corsAllowedOrigins).toEqual([]);
    expect(loadConfig({ TRACELEDGER_CORS_ALLOWED_ORIGINS: "*" }).corsAllowedOrigins).toEqual(["*"]);
    expect(config).toMatchObject({ databaseUrl: "postgres://u:p@db:5432/traces", tracingEnabled: false, sampleRate: 0.25, serviceName: "tl-1", attributeValueLengthLimit: 256 });
    expect([config.eventCountLimit, config.linkCountLimit]).toEqual([0, 32]);
  });

  it("refuses bad values with one message naming every variable, value and accepted range", () => {
    const bad = () =>
      loadConfig({ TRACELEDGER_GRPC_PORT: "70000", TRACING_ENABLED: "yes", TRACING_SAMPLE_RATE: "2", DATABASE_URL: "mysql://x", TRACELEDGER_LOG_LEVEL: "loud", OTEL_SPAN_EVENT_COUNT_LIMIT: "-1", TRACELEDGER_CORS_ALLOWED_ORIGINS: "https://app.example.com/" });
    expect(bad).toThrow(ConfigError);
    const message = (() => {
      try {
        bad();
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    for (const fragment of ['TRACELEDGER_GRPC_PORT="70000"', 'TRACING_ENABLED="yes"', 'TRACING_SAMPLE_RATE="2"', "DATABASE_URL must start with postgres://", 'TRACELEDGER_LOG_LEVEL="loud"', 'OTEL_SPAN_EVENT_COUNT_LIMIT="-1"', 'TRACELEDGER_CORS_ALLOWED_ORIGINS: "https://app.example.com/" is not an origin']) {
      expect(message).toContain(fragment);
    }
    expect(message).not.toContain("mysql://x");
  });

  it("refuses a DATABASE_URL the PostgreSQL client cannot use, naming the variable and never quoting the password", () => {
    const problem = (url: string): string => {
      try {
        loadConfig({ DATABASE_URL: url });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      return "";
    };
    const encode = "percent-encode @ # / ? % : in the user name and password";
    const cases: Array<[url: string, secret: string, says: string[]]> = [
      ["postgres://app:s3cret@127.0.0.1:99999/traceledger", "s3cret", ["DATABASE_URL's port is not a whole number from 1 to 65535"]],
      ["postgres://app:s3cret@127.0.0.1:0/traceledger", "s3cret", ["DATABASE_URL's port is not a whole number from 1 to 65535"]],
      ["postgres://app:pa%zzss@127.0.0.1:5432/traceledger", "zzss", ['DATABASE_URL\'s password has a "%" that does not start a %XX escape', encode]],
      ["postgres://a%zzpp:s3cret@127.0.0.1:5432/traceledger", "s3cret", ['DATABASE_URL\'s user name has a "%"', encode]],
      ["postgres://app:p@ss#w0rd@127.0.0.1:5432/traceledger", "ss#w0rd", ['DATABASE_URL holds a "#"', encode]],
      ["postgres://app:p@ss/w0rd@127.0.0.1:5432/traceledger", "w0rd", ['DATABASE_URL holds an "@" after its host', encode]],
      ["postgres://app:p@ss?w0rd@127.0.0.1:5432/traceledger", "w0rd", ['DATABASE_URL holds an "@" after its host', encode]],
      ["postgres://app:se/cret@127.0.0.1:5432/traceledger", "cret", ['DATABASE_URL holds an "@" after its host', encode]],
      ["postgres://app:s3cret@127.0.0.1:5x432/traceledger", "s3cret", ["DATABASE_URL's port is not a whole number", encode]],
      ["postgres://app:s3cret@/traceledger", "s3cret", ["DATABASE_URL names no host"]],
      ["postgres://app:s3cret@h1:5432,/traceledger", "s3cret", ["DATABASE_URL names no host"]],
      ["postgres://app:s3cret@[::1]:5432/traceledger", "s3cret", ["DATABASE_URL's host is an IPv6 address"]],
      ["postgres://app:s3cret@db host/traceledger", "s3cret", ["DATABASE_URL is not a URL the PostgreSQL client can read", encode]],
    ];
    for (const [url, secret, says] of cases) {
      const message = problem(url);
      for (const text of says) expect(message, url).toContain(text);
      expect(message, url).not.toContain(secret);
    }
    // What the client reads as meant: an @ in a user name or password (Azure's user@server) is
    // taken up to the last @; several hosts; no host at all (PGHOST or localhost, as libpq).
    for (const url of [
      "postgres://u:p@db:5432/traces",
      "postgresql://app@server:p@ss@db.example.com/traces?sslmode=require",
      "postgres://app:p%40ss%23w0rd%2F%3F%25%3A@127.0.0.1/traceledger",
      "postgres://app:pw@db1:5432,db2:5433/traces",
      "postgres://app:pw@db:/traces",
      "postgres:///traces",
      "postgres://localhost",
    ]) {
      expect(loadConfig({ DATABASE_URL: url }).databaseUrl, url).toBe(url);
    }
  });

  it("takes an IP address or a host name to listen on, and refuses anything else before a port opens", () => {
    for (const host of ["0.0.0.0", "127.0.0.1", "::1", "::", "localhost", "tl-1.internal"]) expect(loadConfig({ TRACELEDGER_HOST: host }).host).toBe(host);
    for (const host of ["local host", "http://127.0.0.1", "127.0.0.1:7317", "-bad.example", "a..b"]) {
      expect(() => loadConfig({ TRACELEDGER_HOST: host })).toThrow(`TRACELEDGER_HOST=${JSON.stringify(host)} must be an IP address or a host name`);
    }
  });

  it("refuses a host of numbers and dots that is no IPv4 address, rather than failing its name resolution at bind", () => {
    for (const host of ["255.255.255.255", "10.0.0.1.nip.io", "1a.2.3.4"]) expect(loadConfig({ TRACELEDGER_HOST: host }).host).toBe(host);
    for (const host of ["256.1.1.1", "1.2.3.4.5", "127.1", "010.0.0.1", "1234"]) {
      expect(() => loadConfig({ TRACELEDGER_HOST: host })).toThrow(`TRACELEDGER_HOST=${JSON.stringify(host)} looks like an IPv4 address but is not one`);
    }
  });

  it("reads log levels in any letter case, as booleans, and reports a bad one as given", () => {
    expect(loadConfig({ TRACELEDGER_LOG_LEVEL: "DEBUG" }).logLevel).toBe("debug");
    expect(loadConfig({ TRACELEDGER_LOG_LEVEL: "Warn" }).logLevel).toBe("warn");
    expect(loadConfig({ TRACING_ENABLED: "False" }).tracingEnabled).toBe(false);
    expect(() => loadConfig({ TRACELEDGER_LOG_LEVEL: "LOUD" })).toThrow('TRACELEDGER_LOG_LEVEL="LOUD" must be debug, info, warn or error (any letter case)');
  });

  it("takes a sample rate in decimal notation only; empty is unset", () => {
    for (const [raw, rate] of [["0", 0], ["1", 1], ["0.25", 0.25], [".5", 0.5], ["1.0", 1], [" 0.5 ", 0.5], ["", 1], ["  ", 1]] as const) {
      expect(loadConfig({ TRACING_SAMPLE_RATE: raw }).sampleRate).toBe(rate);
    }
    for (const raw of ["0x1", "0b1", "0o1", "Infinity", "1e-3", "-0", "+0.5", "1.", "1.01", "0.5.1"]) {
      expect(() => loadConfig({ TRACING_SAMPLE_RATE: raw })).toThrow(`TRACING_SAMPLE_RATE=${JSON.stringify(raw)} must be a number from 0 to 1 in decimal notation (0, 0.25, .5, 1)`);
    }
    // Whole-number settings take decimal digits only.
    for (const raw of ["0x10", "1e3", "0b1", "Infinity"]) expect(() => loadConfig({ TRACELEDGER_GRPC_PORT: raw })).toThrow(`TRACELEDGER_GRPC_PORT=${JSON.stringify(raw)} is not a whole number`);
  });

  it("warns at start-up when export is asked for but TRACING_ENABLED=false turns it off", () => {
    const warning = "OTLP export is off because TRACING_ENABLED=false (OTLP_EXPORT_ENABLED or an OTLP endpoint variable asks for it); set TRACING_ENABLED=true to export";
    for (const env of [{ OTLP_EXPORT_ENABLED: "true" }, { OTLP_ENDPOINT: "http://collector:4318/v1/traces" }, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }]) {
      const config = loadConfig({ ...env, TRACING_ENABLED: "false" });
      expect(config.otlpExport.enabled).toBe(false);
      expect(config.warnings).toEqual([warning]);
      expect(loadConfig(env).warnings).toEqual([]);
    }
    expect(loadConfig({ TRACING_ENABLED: "false" }).warnings).toEqual([]);
    expect(loadConfig({ TRACING_ENABLED: "false", OTLP_EXPORT_ENABLED: "false", OTLP_ENDPOINT: "http://collector:4318/v1/traces" }).warnings).toEqual([]);
  });

  it("takes an append deadline of 1 s to 1 h, 30 s unless set", () => {
    expect(loadConfig({}).appendDeadlineMs).toBe(30_000);
    expect(loadConfig({ TRACELEDGER_APPEND_DEADLINE_MS: "1000" }).appendDeadlineMs).toBe(1000);
    for (const raw of ["999", "3600001", "5s", "-1"]) {
      expect(() => loadConfig({ TRACELEDGER_APPEND_DEADLINE_MS: raw })).toThrow(`TRACELEDGER_APPEND_DEADLINE_MS=${JSON.stringify(raw)} is not a whole number between 1000 and 3600000`);
    }
  });

  it("keeps every trace unless TRACELEDGER_RETENTION says for how long after its last event", () => {
    expect(loadConfig({}).retentionNs).toBeUndefined();
    expect(loadConfig({ TRACELEDGER_RETENTION: "7d" }).retentionNs).toBe(7n * 86_400n * 1_000_000_000n);
    expect(loadConfig({ TRACELEDGER_RETENTION: "36H" }).retentionNs).toBe(36n * 3600n * 1_000_000_000n);
    expect(loadConfig({ TRACELEDGER_RETENTION: " 90m " }).retentionNs).toBe(90n * 60n * 1_000_000_000n);
    expect(loadConfig({ TRACELEDGER_RETENTION: "1s", MONITORING_ENABLED: "false" }).retentionNs).toBe(1_000_000_000n);
    expect(() => loadConfig({ TRACELEDGER_RETENTION: "599s" })).toThrow(
      'TRACELEDGER_RETENTION="599s" must be at least twice MONITORING_ORPHAN_TIMEOUT_MS and MONITORING_TRACE_IDLE_TIMEOUT_MS (600000 ms)',
    );
    expect(loadConfig({ TRACELEDGER_RETENTION: "10m" }).retentionNs).toBe(600n * 1_000_000_000n);
    expect(loadConfig({ TRACELEDGER_RETENTION: "30s", MONITORING_ENABLED: "false" }).retentionNs).toBe(30n * 1_000_000_000n);
    expect(loadConfig({ TRACELEDGER_RETENTION: "40s", MONITORING_ORPHAN_TIMEOUT_MS: "10000", MONITORING_TRACE_IDLE_TIMEOUT_MS: "20000" }).retentionNs).toBe(40n * 1_000_000_000n);
    for (const raw of ["7", "0s", "1.5h", "7 days", "-1d", "36501d", "1w"]) {
      expect(() => loadConfig({ TRACELEDGER_RETENTION: raw })).toThrow(`TRACELEDGER_RETENTION=${JSON.stringify(raw)} must be a whole number of seconds, minutes, hours or days`);
    }
  });

  it("keeps resolved alerts as long as traces unless TRACELEDGER_ALERT_RETENTION says otherwise", () => {
    const DAY = 86_400n * 1_000_000_000n;
    expect(loadConfig({}).alertRetentionNs).toBeUndefined();
    expect(loadConfig({ TRACELEDGER_RETENTION: "7d" }).alertRetentionNs).toBe(7n * DAY);
    expect(loadConfig({ TRACELEDGER_RETENTION: "7d", TRACELEDGER_ALERT_RETENTION: "90d" }).alertRetentionNs).toBe(90n * DAY);
    expect(loadConfig({ TRACELEDGER_RETENTION: "7d", TRACELEDGER_ALERT_RETENTION: "Forever" }).alertRetentionNs).toBeUndefined();
    // Alerts alone, the log kept whole; no floor from the saga's timeouts (only resolved alerts go).
    expect(loadConfig({ TRACELEDGER_ALERT_RETENTION: "30s" })).toMatchObject({ retentionNs: undefined, alertRetentionNs: 30n * 1_000_000_000n });
    for (const raw of ["0s", "never", "7", "1w"]) {
      expect(() => loadConfig({ TRACELEDGER_ALERT_RETENTION: raw })).toThrow(`TRACELEDGER_ALERT_RETENTION=${JSON.stringify(raw)} must be forever or a whole number`);
    }
  });

  it("refuses the same port for both doors", () => {
    expect(() => loadConfig({ TRACELEDGER_GRPC_PORT: "9000", TRACELEDGER_HTTP_PORT: "9000" })).toThrow(/must differ/);
  });

  it("documents every setting in --help", () => {
    const help = helpText();
    for (const setting of SETTINGS) expect(help).toContain(setting.name);
  });

  it("says in --help which signals stop gracefully and how to start main.ts without npm", () => {
    const help = helpText();
    expect(help).toContain("SIGTERM, SIGINT or SIGHUP");
    expect(help).toContain("node --max-semi-space-size=64 --import tsx apps/server/src/main.ts");
  });
});
