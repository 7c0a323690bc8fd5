// The reference grouping of folded spans into ExportTraceServiceRequests (at
// most `maxSpans` spans each; one ResourceSpans per resource, one ScopeSpans per
// scope), with protobuf-es messages; the exporter writes the same with
// otlp-request-writer.ts.

import type { ExportTraceServiceRequest, OtlpKeyValue, OtlpSpan, ResourceSpans, ScopeSpans } from "@traceledger/proto/otlp";
import type { FoldedSpan } from "./reference-span-fold.js";
import { otlpString } from "./to-otlp-attributes.js";

/** The scope of spans whose creator is not known: traceledger recorded them. */
const DEFAULT_SCOPE_NAME = "traceledger";
const SERVICE_NAME = "service.name";

export function buildExportRequests(spans: readonly FoldedSpan[], maxSpans: number): ExportTraceServiceRequest[] {
  const requests: ExportTraceServiceRequest[] = [];
  for (let i = 0; i < spans.length; i += maxSpans) requests.push(buildExportRequest(spans.slice(i, i + maxSpans)));
  return requests;
}

function buildExportRequest(spans: readonly FoldedSpan[]): ExportTraceServiceRequest {
  const resources = new Map<string, { resource: ResourceSpans; scopes: Map<string, ScopeSpans> }>();
  for (const folded of spans) {
    const attributes = resourceAttributes(folded);
    const key = resourceKey(attributes);
    let entry = resources.get(key);
    if (!entry) {
      entry = {
        scopes: new Map(),
        resource: {
          $typeName: "opentelemetry.proto.trace.v1.ResourceSpans",
          resource: { $typeName: "opentelemetry.proto.resource.v1.Resource", attributes, droppedAttributesCount: 0, entityRefs: [] },
          scopeSpans: [],
          schemaUrl: "",
        },
      };
      resources.set(key, entry);
    }
    const scopeName = folded.scopeName || DEFAULT_SCOPE_NAME;
    let scope = entry.scopes.get(scopeName);
    if (!scope) {
      scope = {
        $typeName: "opentelemetry.proto.trace.v1.ScopeSpans",
        scope: { $typeName: "opentelemetry.proto.common.v1.InstrumentationScope", name: scopeName, version: "", attributes: [], droppedAttributesCount: 0 },
        spans: [] as OtlpSpan[],
        schemaUrl: "",
      };
      entry.scopes.set(scopeName, scope);
      entry.resource.scopeSpans.push(scope);
    }
    scope.spans.push(folded.span);
  }
  return {
    $typeName: "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest",
    resourceSpans: [...resources.values()].map((e) => e.resource),
  };
}

/** service.name first (the span's service, which the lifecycle API requires), then the rest of the resource. */
function resourceAttributes(span: FoldedSpan): OtlpKeyValue[] {
  const fromResource = span.resourceAttributes.find((kv) => kv.key === SERVICE_NAME);
  const serviceName =
    span.serviceName || (fromResource?.value?.value.case === "stringValue" ? fromResource.value.value.value : "") || "unknown_service";
  return [otlpString(SERVICE_NAME, serviceName), ...span.resourceAttributes.filter((kv) => kv.key !== SERVICE_NAME)];
}

function resourceKey(attributes: readonly OtlpKeyValue[]): string {
  return JSON.stringify(attributes, (key, value: unknown) =>
    key === "$typeName" ? undefined : typeof value === "bigint" ? `${value}n` : value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value,
  );
}
