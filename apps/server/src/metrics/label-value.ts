// Span and service names become label values of the span metrics, and every
// /metrics scrape writes each value once per sample line (21 lines per series):
// four spans with 2 MB names made each scrape 168 MB and seconds of event loop.
// So a label value is a name's first MAX_LABEL_VALUE_BYTES bytes of UTF-8,
// ending at a character boundary. The log keeps the whole name (GetTrace).
// Not listedText (database/listed-text.ts): that keeps 1024 bytes, for PostgreSQL.

export const MAX_LABEL_VALUE_BYTES = 256;

/** `text` when it fits in MAX_LABEL_VALUE_BYTES bytes of UTF-8, else its longest prefix of whole characters that does. */
export function labelValue(text: string): string {
  // At most 3 bytes per UTF-16 unit: most names are decided at once. Kept this small so
  // that it inlines on the write path: with the cutting loop in it, it measured ~15 ns a call.
  return text.length * 3 <= MAX_LABEL_VALUE_BYTES ? text : longLabelValue(text);
}

function longLabelValue(text: string): string {
  // At least 1 byte per UTF-16 unit: only a value short enough may fit.
  if (text.length <= MAX_LABEL_VALUE_BYTES && Buffer.byteLength(text) <= MAX_LABEL_VALUE_BYTES) return text;
  let bytes = 0;
  let end = 0;
  while (end < text.length) {
    const unit = text.charCodeAt(end);
    let units = 1;
    let size = unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(end + 1);
      // A whole surrogate pair is one 4-byte character; half of one is written as U+FFFD (3 bytes).
      if (next >= 0xdc00 && next <= 0xdfff) {
        units = 2;
        size = 4;
      }
    }
    if (bytes + size > MAX_LABEL_VALUE_BYTES) break;
    bytes += size;
    end += units;
  }
  return text.slice(0, end);
}
