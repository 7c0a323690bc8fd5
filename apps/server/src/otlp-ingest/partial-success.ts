// The partial_success an OTLP client gets when some spans were rejected: how
// many, and a short English summary of why, grouped by reason with the first
// message of each as an example. Bounded, so a batch of 10,000 bad spans does
// not become a megabyte of text.

/** Why a span was refused: a stable reason and a message. */
interface Refusal {
  readonly reason: string;
  readonly message: string;
}

/** A span refused: its id (hex, or as received when that is not hex) and why. */
export interface Rejection {
  readonly spanId: string;
  readonly error: Refusal;
}

export interface PartialSuccess {
  readonly rejectedSpans: number;
  /** Empty when nothing was rejected. */
  readonly errorMessage: string;
}

const MAX_REASONS = 5;

export function partialSuccess(totalSpans: number, rejections: readonly Rejection[]): PartialSuccess {
  if (rejections.length === 0) return { rejectedSpans: 0, errorMessage: "" };
  const byReason = new Map<string, { count: number; example: string }>();
  for (const { spanId, error } of rejections) {
    const entry = byReason.get(error.reason);
    if (entry) entry.count++;
    else byReason.set(error.reason, { count: 1, example: spanId ? `span ${spanId}: ${error.message}` : error.message });
  }
  const parts = [...byReason]
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, MAX_REASONS)
    .map(([reason, { count, example }]) => `${reason} x${count} (e.g. ${example})`);
  const more = byReason.size > MAX_REASONS ? `; and ${byReason.size - MAX_REASONS} more reasons` : "";
  return { rejectedSpans: rejections.length, errorMessage: `${rejections.length} of ${totalSpans} spans rejected: ${parts.join("; ")}${more}` };
}
