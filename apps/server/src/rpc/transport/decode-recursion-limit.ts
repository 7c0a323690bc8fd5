// How many messages deep protobuf-es reads a request, on every door that decodes
// one with it (gRPC, Connect, gRPC-Web, OTLP/JSON). Its default, 100, is passed
// by an attribute value nesting maps 33 levels deep: such a request would be
// refused whole as malformed, where the domain refuses only the command
// (INVALID_ATTRIBUTE) and OTLP drops only the attribute. Past this limit, a
// request is still refused as malformed, before any recursive reader of ours
// could run off the stack's end.

import { MAX_ATTRIBUTE_DEPTH } from "../../domain/trace/span-validation.js";

/**
 * Messages around an attribute value, at most: OTLP's request, ResourceSpans, ScopeSpans,
 * Span, Span.Link and KeyValue (IngestBatchRequest, TracingCommand, StartSpanRequest,
 * SpanLink and KeyValue are fewer).
 */
const MESSAGES_ABOVE_A_VALUE = 6;
/** A level of a value is up to three messages: an AnyValue, its KeyValueList and a KeyValue. */
const MESSAGES_PER_LEVEL = 3;
/** Levels past the domain's limit that are still read, so that it, not the decoder, refuses them. */
const LEVELS_PAST_THE_LIMIT = 8;

/** 126: a value 40 levels deep (MAX_ATTRIBUTE_DEPTH + 8) still decodes, in any request. */
export const DECODE_RECURSION_LIMIT = MESSAGES_ABOVE_A_VALUE + MESSAGES_PER_LEVEL * (MAX_ATTRIBUTE_DEPTH + LEVELS_PAST_THE_LIMIT);

/** protobuf-es read options with DECODE_RECURSION_LIMIT, one object for every request. */
export const DECODE_OPTIONS = { recursionLimit: DECODE_RECURSION_LIMIT } as const;
