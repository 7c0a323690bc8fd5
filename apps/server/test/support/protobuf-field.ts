// Protobuf bytes written by hand in tests: shapes protobuf-es would not write
// (a repeated Status, unknown fields) or could not (values nested thousands of
// levels deep, past its writer's stack).

/** A length-delimited field whose tag fits one byte (field numbers 1-15): tag, varint length, body. */
export function lengthDelimited(tag: number, body: Uint8Array): Buffer {
  const length: number[] = [];
  let n = body.length;
  while (n > 0x7f) {
    length.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  length.push(n);
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}
