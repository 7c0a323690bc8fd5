// Builds a message with every field set to a non-default value, walking the
// descriptor, so round-trip tests cover fields added to the protos later
// without anyone remembering to extend them.
import { create, ScalarType, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";

const MAX_DEPTH = 3;

function sampleScalar(type: ScalarType, seed: number): unknown {
  switch (type) {
    case ScalarType.STRING:
      return `value-${seed}-é✓`;
    case ScalarType.BOOL:
      return true;
    case ScalarType.BYTES:
      return Uint8Array.from({ length: 8 + (seed % 9) }, (_, i) => (i * 37 + seed) % 256 || 1);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return 0.5 + seed;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return BigInt(-1_700_000_000_000_000_000) - BigInt(seed);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return BigInt("1764000000123456789") + BigInt(seed);
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return -1000 - seed;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return 1000 + seed;
  }
}

function fill(r: ReflectMessage, depth: number, seed: number): void {
  const setOneofs = new Set<string>();
  for (const field of r.fields) {
    if (field.oneof) {
      if (setOneofs.has(field.oneof.name)) continue;
      setOneofs.add(field.oneof.name);
    }
    setField(r, field, depth, seed + field.number);
  }
}

function setField(r: ReflectMessage, field: DescField, depth: number, seed: number): void {
  switch (field.fieldKind) {
    case "scalar":
      r.set(field, sampleScalar(field.scalar, seed));
      return;
    case "enum":
      r.set(field, field.enum.values[field.enum.values.length - 1]?.number ?? 0);
      return;
    case "message": {
      if (depth >= MAX_DEPTH) return;
      const sub = reflect(field.message);
      fill(sub, depth + 1, seed);
      r.set(field, sub);
      return;
    }
    case "list": {
      const list = r.get(field);
      for (let i = 0; i < 2; i++) {
        if (field.listKind === "scalar") list.add(sampleScalar(field.scalar, seed + i));
        else if (field.listKind === "enum") list.add(field.enum.values[i % field.enum.values.length]?.number ?? 0);
        else if (depth < MAX_DEPTH) {
          const sub = reflect(field.message);
          fill(sub, depth + 1, seed + i);
          list.add(sub);
        }
      }
      return;
    }
    case "map": {
      const map = r.get(field);
      if (field.mapKind === "scalar") map.set(`key-${seed}`, sampleScalar(field.scalar, seed));
      return;
    }
  }
}

/** A message of `schema` whose every field (the first member of each oneof) is set. */
export function sampleMessage<Desc extends DescMessage>(schema: Desc, seed = 1): Message {
  const r = reflect(schema, create(schema));
  fill(r, 0, seed);
  return r.message;
}
