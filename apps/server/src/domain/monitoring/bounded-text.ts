// Text the saga copies from trace events into its state and its alerts: service
// and span names, an error's type, id and message, as long as a client sent them.
// A 2 MB span name was kept whole in its running span and twice in its slow-span
// alert (subject and message): ListActiveSpans, WatchActiveSpans, ListAlerts and
// WatchAlerts answers passed what clients take, and an alert, once stored, stays.
// So monitoring knows each by its first MAX_LISTED_TEXT_BYTES bytes of UTF-8, cut
// at a character boundary, as the trace listing does (GetTrace has them whole).
// Everything the saga keys by a name (its operations and services, alert ids and
// subjects) takes the cut one, so they keep matching; shorter text is unchanged.

import { MAX_LISTED_TEXT_BYTES } from "../../database/listed-text.js";
import { utf8Prefix } from "../../text/utf8-prefix.js";

export const MAX_MONITORED_TEXT_BYTES = MAX_LISTED_TEXT_BYTES;

/** `text`, or its first MAX_MONITORED_TEXT_BYTES bytes of UTF-8 at a character boundary (a copy: the long original is not kept). */
export function boundedText(text: string): string {
  return utf8Prefix(text, MAX_MONITORED_TEXT_BYTES);
}
