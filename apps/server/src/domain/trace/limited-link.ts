// A link's attributes under the same limits as its span's, on every path that
// stores links (StartTrace / StartSpan and OTLP's finished spans alike).

import type { SpanLink } from "@traceledger/proto";
import { countOf, limitAttributes, type AttributeLimits } from "./attribute-limits.js";

/** The link itself when nothing is cut; else a copy, what is dropped counted on the link. */
export function limitedLink(link: SpanLink, limits: AttributeLimits): SpanLink {
  const limited = limitAttributes(link.attributes, limits);
  if (limited.dropped === 0 && limited.truncated === 0) return link;
  return { ...link, attributes: limited.attributes, droppedAttributesCount: countOf(link.droppedAttributesCount, limited.dropped) };
}
