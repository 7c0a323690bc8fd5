// The resource a tracer reports: the attributes of the process that runs the
// service, sent with every StartSpan. They never change, so the wire encoder
// encodes them once per resource and copies the bytes into each command.

import type { Attributes } from "./attributes.js";

export interface Resource {
  readonly attributes: Attributes;
  /** Filled by the wire encoder on first use: the encoded `resource_attributes` fields. */
  encoded?: Uint8Array;
}

export function createResource(attributes: Attributes): Resource {
  return { attributes: Object.freeze({ ...attributes }) };
}
