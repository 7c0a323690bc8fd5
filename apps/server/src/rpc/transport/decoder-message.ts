// Decoders quote what they could not read: a number of four million digits, an
// unknown key as long as the request. Said back whole, a malformed request
// would cost its size again in the answer (twice, with OTLP's BadRequest) and
// in a log line. Where the reading stopped shows in its first few hundred characters.

/** How much of a decoder's message is kept. */
export const DECODER_MESSAGE_CHARS = 300;

/** A decoder's message, cut to DECODER_MESSAGE_CHARS with "…" and its length when longer. */
export function shortDecoderMessage(message: string): string {
  if (message.length <= DECODER_MESSAGE_CHARS) return message;
  // Not between the two halves of a surrogate pair: a lone half is not text.
  const high = message.charCodeAt(DECODER_MESSAGE_CHARS - 1);
  const cut = high >= 0xd800 && high <= 0xdbff ? DECODER_MESSAGE_CHARS - 1 : DECODER_MESSAGE_CHARS;
  return `${message.slice(0, cut)}… (${message.length} characters)`;
}
