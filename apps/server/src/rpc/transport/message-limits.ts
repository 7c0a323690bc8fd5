/** gRPC's customary per-message limit, and grpc-js's default for receiving; both doors use it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Most bytes of items (events, spans, alerts) in one paged answer or stream message: half of the
 * 4 MiB answer stock gRPC clients accept, or of the server's own limit on answers if smaller,
 * leaving the rest for the items' envelopes and the page token.
 */
export function answerItemBytes(maxAnswerBytes = DEFAULT_MAX_MESSAGE_BYTES): number {
  return Math.min(DEFAULT_MAX_MESSAGE_BYTES / 2, Math.floor(maxAnswerBytes / 2));
}
