// Builds a message with every field set to a non-default value, walking the
// descriptor, so round-trip tests cover fields added to the protos later
// without anyone remembering to extend them.
import { create, ScalarType, type DescField, type DescMessage, type DescOneof, type Message } from "@bufbuild/protobuf";
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

/** Which member to set for a oneof; a oneof not in the map gets its first member. */
type OneofChoice = ReadonlyMap<DescOneof, DescField>;

function fill(r: ReflectMessage, depth: number, seed: number, choice?: OneofChoice): void {
  for (const field of r.fields) {
    if (field.oneof && field !== (choice?.get(field.oneof) ?? field.oneof.fields[0])) continue;
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

/** One sample of a message: which oneof member it sets, if it stands for one. */
export interface SampleVariant {
  /** `oneof=member`, or `all fields` for a message without oneofs. */
  label: string;
  message: Message;
  oneof?: DescOneof;
  member?: DescField;
}

/**
 * Samples of `schema` that set, between them, every member of every oneof: one
 * per member, with that member set and every other field as in sampleMessage.
 * A message without oneofs has the single sample of sampleMessage. Nested
 * messages keep their first member; each message type gets its own variants.
 */
export function sampleVariants(schema: DescMessage, seed = 1): SampleVariant[] {
  if (schema.oneofs.length === 0) return [{ label: "all fields", message: sampleMessage(schema, seed) }];
  return schema.oneofs.flatMap((oneof) =>
    oneof.fields.map((member) => {
      const r = reflect(schema, create(schema));
      fill(r, 0, seed, new Map([[oneof, member]]));
      if (r.oneofCase(oneof) !== member) throw new Error(`${schema.typeName}: sample does not set ${oneof.name}=${member.name}`);
      return { label: `${oneof.name}=${member.name}`, message: r.message, oneof, member };
    }),
  );
}
