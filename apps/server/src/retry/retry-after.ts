// HTTP Retry-After (RFC 9110 section 10.2.3), which OTLP/HTTP servers send with
// 429 and 503: either a number of seconds or an HTTP date.

/** The wait it asks for, in milliseconds (0 for a date already past); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // IMF-fixdate, and the obsolete RFC 850 and asctime forms, all parse with Date. Every
  // HTTP date is in GMT, and asctime's form does not say so: Date would read it as local time.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(/GMT$/i.test(text) ? text : `${text} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
