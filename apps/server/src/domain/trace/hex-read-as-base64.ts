// JSON carries protobuf bytes as base64, and a W3C id written as hex (what
// traceparent, logs and every tracing UI show) is valid base64 too: 32 hex
// digits decode to 24 bytes, 16 to 12. Refusing such an id by its length alone
// names bytes the caller never sent; this says what happened and what to send.

/** For an id refused as `hex` (the bytes received): a hint when they are a hex id read as base64, else "". */
export function hexReadAsBase64Hint(hex: string, idBytes: 16 | 8): string {
  if (hex.length !== idBytes * 3) return "";
  const sent = Buffer.from(hex, "hex").toString("base64");
  if (!/^[0-9a-fA-F]+$/.test(sent)) return "";
  const meant = Buffer.from(sent, "hex").toString("base64");
  return `; "${sent}" looks like a hex id, but JSON carries bytes as base64: send "${meant}"`;
}
