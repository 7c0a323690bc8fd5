// Span and service names become label values of the span metrics, and every
// /metrics scrape writes each value once per sample line (21 lines per series):
// four spans with 2 MB names made each scrape 168 MB and seconds of event loop.
// So a label value is a name's first MAX_LABEL_VALUE_BYTES bytes of UTF-8,
// ending at a character boundary. The log keeps the whole name (GetTrace).
// Not listedText (database/listed-text.ts): that keeps 1024 bytes, for PostgreSQL.

import { utf8Prefix } from "../text/utf8-prefix.js";

export const MAX_LABEL_VALUE_BYTES = 256;

/** `text` when it fits in MAX_LABEL_VALUE_BYTES bytes of UTF-8, else its longest prefix of whole characters that does. */
export function labelValue(text: string): string {
  return utf8Prefix(text, MAX_LABEL_VALUE_BYTES);
}
