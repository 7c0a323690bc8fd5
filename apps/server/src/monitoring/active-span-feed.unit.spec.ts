import { SpanKind } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import type { ActiveSpanView } from "../domain/monitoring/index.js";
import { ActiveSpanFeed } from "./active-span-feed.js";

const T = "0af7651916cd43dd8448eb211c80319c";
const view = (spanId: string, service = "orders", slow = false): ActiveSpanView => ({
  traceId: T,
  spanId,
  service,
  name: "op",
  kind: SpanKind.SERVER,
  startTime: 1n,
  runningNs: 0n,
  slowThresholdNs: 5n,
  slow,
  closing: false,
});
const stop = (spanId: string, service = "orders") => ({ type: "stopped" as const, traceId: T, spanId, service, reason: "ended" as const });
const brief = (changes: ReturnType<ReturnType<ActiveSpanFeed["watch"]>["take"]>) =>
  changes.map((c) => (c.type === "upserted" ? `+${c.span.spanId}${c.span.slow ? " slow" : ""}` : `-${c.spanId}`));

describe("ActiveSpanFeed", () => {
  it("keeps one pending change per span: its latest state, and nothing for a span that came and went unseen", () => {
    const feed = new ActiveSpanFeed();
    const watcher = feed.watch("");
    feed.publish({ type: "upserted", span: view("a") });
    feed.publish({ type: "upserted", span: view("b") });
    feed.publish({ type: "upserted", span: view("a", "orders", true) });
    feed.publish(stop("b"));
    expect(brief(watcher.take(10))).toEqual(["+a slow"]);
    feed.publish(stop("a"));
    feed.publish(stop("never-seen"));
    expect(brief(watcher.take(10))).toEqual(["-a"]);
    expect(watcher.take(10)).toEqual([]);
  });

  it("tells a snapshot's spans' stops, filters by service, and forgets a closed watcher", async () => {
    const feed = new ActiveSpanFeed();
    const watcher = feed.watch("orders");
    watcher.markKnown([view("s")]);
    feed.publish(stop("s"));
    feed.publish({ type: "upserted", span: view("p", "payments") });
    expect(brief(watcher.take(10))).toEqual(["-s"]);
    const woken = watcher.changed(new AbortController().signal);
    feed.publish({ type: "upserted", span: view("o") });
    await woken;
    expect(brief(watcher.take(1))).toEqual(["+o"]);
    watcher.close();
    expect(feed.watched).toBe(false);
  });
});
