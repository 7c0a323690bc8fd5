// Snapshots of another format are ignored, so a change to the view fold must
// bump VIEW_FORMAT, or replicas keep serving snapshots folded the old way. This
// pins what the fold makes of a trace that uses every event type: when it
// fails, bump VIEW_FORMAT (view-format.ts) and pin the new digest beside it.

import { createHash } from "node:crypto";
import { toBinary } from "@bufbuild/protobuf";
import { StatusCode, TraceSchema } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { NOW, TRACE } from "../domain/testing/trace-specification.js";
import { CHILD, GRANDCHILD, ROOT, T0, attr, attributesUpdated, errorOccurred, eventRecorded, ms, spanEnded, spanStarted, traceCompleted, traceStarted } from "../domain/testing/trace-fixtures.js";
import { buildTraceView } from "../projections/testing/build-trace-view.js";
import { VIEW_FORMAT } from "./view-format.js";

describe("VIEW_FORMAT", () => {
  it("names the fold that made a snapshot: a change to what the fold makes needs a new format", () => {
    const events = [
      traceStarted(),
      spanStarted(ROOT, { attributes: [attr("http.route", "/checkout")] }),
      spanStarted(CHILD, { parentSpanId: ROOT, startTime: T0 + ms(1) }),
      spanStarted(GRANDCHILD, {
        parentSpanId: CHILD,
        startTime: T0 + ms(2),
        droppedEvents: 2,
        droppedLinks: 1,
        provenance: {
          scopeVersion: "1.4.0",
          scopeAttributes: [attr("library.flavour", "vanilla")],
          scopeDroppedAttributesCount: 1,
          scopeSchemaUrl: "https://opentelemetry.io/schemas/1.26.0",
          resourceSchemaUrl: "https://opentelemetry.io/schemas/1.24.0",
          resourceDroppedAttributesCount: 3,
        },
      }),
      eventRecorded(CHILD, { time: T0 + ms(2) }),
      errorOccurred(CHILD, { time: T0 + ms(3) }),
      attributesUpdated(ROOT, { attributes: [attr("retries", 2)] }),
      spanEnded(CHILD, { endTime: T0 + ms(4), statusCode: StatusCode.ERROR, statusMessage: "declined", name: "charge card (visa)" }),
      spanEnded(GRANDCHILD, { endTime: T0 + ms(4) }),
      spanEnded(ROOT, { endTime: T0 + ms(6), attributes: [attr("http.response.status_code", 502)] }),
      traceCompleted({ end: T0 + ms(6), spans: 3, errors: 1 }),
    ];
    const running = toBinary(TraceSchema, buildTraceView(TRACE, events.slice(0, 5), NOW));
    const done = toBinary(TraceSchema, buildTraceView(TRACE, events, NOW));
    const digest = createHash("sha256").update(running).update(done).digest("hex").slice(0, 16);
    expect({ format: VIEW_FORMAT, digest }).toEqual({ format: 6, digest: "b3b985852d51ac43" });
  });
});
