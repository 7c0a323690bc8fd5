// For the reference fold: traceledger.v1's AnyValue/KeyValue are OTLP's common.v1
// messages under another package (same fields, same numbers), so conversion
// only renames the types.

import type { AnyValue, KeyValue } from "@traceledger/proto";
import type { OtlpAnyValue, OtlpKeyValue } from "@traceledger/proto/otlp";

export function toOtlpKeyValue(kv: KeyValue): OtlpKeyValue {
  return { $typeName: "opentelemetry.proto.common.v1.KeyValue", key: kv.key, value: kv.value && toOtlpAnyValue(kv.value) };
}

export function toOtlpKeyValues(list: readonly KeyValue[]): OtlpKeyValue[] {
  return list.map(toOtlpKeyValue);
}

function toOtlpAnyValue(any: AnyValue): OtlpAnyValue {
  const v = any.value;
  let value: OtlpAnyValue["value"];
  switch (v.case) {
    case "arrayValue":
      value = { case: "arrayValue", value: { $typeName: "opentelemetry.proto.common.v1.ArrayValue", values: v.value.values.map(toOtlpAnyValue) } };
      break;
    case "kvlistValue":
      value = { case: "kvlistValue", value: { $typeName: "opentelemetry.proto.common.v1.KeyValueList", values: v.value.values.map(toOtlpKeyValue) } };
      break;
    default:
      value = v; // scalars: the same oneof case and value
  }
  return { $typeName: "opentelemetry.proto.common.v1.AnyValue", value };
}

export function otlpString(key: string, text: string): OtlpKeyValue {
  return { $typeName: "opentelemetry.proto.common.v1.KeyValue", key, value: { $typeName: "opentelemetry.proto.common.v1.AnyValue", value: { case: "stringValue", value: text } } };
}

export function otlpBool(key: string, flag: boolean): OtlpKeyValue {
  return { $typeName: "opentelemetry.proto.common.v1.KeyValue", key, value: { $typeName: "opentelemetry.proto.common.v1.AnyValue", value: { case: "boolValue", value: flag } } };
}
