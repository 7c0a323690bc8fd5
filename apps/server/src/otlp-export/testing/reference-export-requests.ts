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
    const p = folded.provenance;
    const attributes = resourceAttributes(folded);
    const key = canonical([attributes, p.resourceSchemaUrl, p.resourceDroppedAttributesCount]);
    let entry = resources.get(key);
    if (!entry) {
      entry = {
        scopes: new Map(),
        resource: {
          $typeName: "opentelemetry.proto.trace.v1.ResourceSpans",
          resource: { $typeName: "opentelemetry.proto.resource.v1.Resource", attributes, droppedAttributesCount: p.resourceDroppedAttributesCount, entityRefs: [] },
          scopeSpans: [],
          schemaUrl: p.resourceSchemaUrl,
        },
      };
      resources.set(key, entry);
    }
    const scopeName = folded.scopeName || DEFAULT_SCOPE_NAME;
    const scopeKey = canonical([scopeName, p.scopeVersion, p.scopeAttributes, p.scopeDroppedAttributesCount, p.scopeSchemaUrl]);
    let scope = entry.scopes.get(scopeKey);
    if (!scope) {
      scope = {
        $typeName: "opentelemetry.proto.trace.v1.ScopeSpans",
        scope: {
          $typeName: "opentelemetry.proto.common.v1.InstrumentationScope",
          name: scopeName,
          version: p.scopeVersion,
          attributes: [...p.scopeAttributes],
          droppedAttributesCount: p.scopeDroppedAttributesCount,
        },
        spans: [] as OtlpSpan[],
        schemaUrl: p.scopeSchemaUrl,
      };
      entry.scopes.set(scopeKey, scope);
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

function canonical(parts: unknown): string {
  return JSON.stringify(parts, (key, value: unknown) =>
    key === "$typeName" ? undefined : typeof value === "bigint" ? `${value}n` : value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value,
  );
}
