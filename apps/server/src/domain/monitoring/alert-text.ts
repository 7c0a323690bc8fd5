// Numbers in alert messages, for people. Fixed formatting (no locale), so a
// replay writes the same message byte for byte.

export function formatDuration(ns: number | bigint): string {
  const n = Number(ns);
  if (n >= 1e9) return `${trim(n / 1e9)} s`;
  if (n >= 1e6) return `${trim(n / 1e6)} ms`;
  if (n >= 1e3) return `${trim(n / 1e3)} µs`;
  return `${n} ns`;
}

export function formatRate(ratio: number): string {
  return `${trim(ratio * 100)}%`;
}

function trim(x: number): string {
  return String(Math.round(x * 10) / 10);
}
