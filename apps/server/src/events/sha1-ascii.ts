// SHA-1 of a short ASCII string, in JavaScript. Every stored event's id is a
// SHA-1 (event-id.ts), and for the strings ids are made of (a trace id and a
// short identity, two 64-byte blocks) this is several times cheaper than a
// call into OpenSSL with its string conversion and Buffer. Callers fall back to
// node:crypto for anything else; a test compares the two on many inputs.
//
// A caller may also write its input's bytes straight into sha1Input and call
// sha1OfInput: trace event ids are put together that way, without building the
// string first (trace-event-id.ts).

const W = new Int32Array(80);
const H = new Int32Array(5);
/** The longest input sha1OfInput takes, in bytes. */
export const SHA1_MAX_INPUT = 1024;
/** Where sha1OfInput reads its input from (index 0 on); room is left after it for the padding. */
export const sha1Input = new Uint8Array(SHA1_MAX_INPUT + 72);
const block = sha1Input;
const K3 = 0x8f1bbcdc | 0;
const K4 = 0xca62c1d6 | 0;

/** The 20-byte digest's five big-endian words, or undefined when `s` is not ASCII or is long. */
export function sha1Ascii(s: string): Int32Array | undefined {
  const n = s.length;
  if (n > SHA1_MAX_INPUT) return undefined;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return undefined;
    block[i] = c;
  }
  return sha1OfInput(n);
}

/**
 * The digest of sha1Input's first `n` bytes (n <= SHA1_MAX_INPUT), as five big-endian
 * words. The array is reused by the next call.
 */
export function sha1OfInput(n: number): Int32Array {
  // Padding: 0x80, zeros, then the length in bits as a 64-bit big-endian integer.
  const total = (((n + 8) >> 6) + 1) << 6;
  // An input of 56..63 bytes past a block edge (a trace id and a span's identity)
  // leaves a last block of padding alone: its schedule depends on n only, and is kept.
  const paddingBlock = (n & 63) >= 56;
  const end = paddingBlock ? total - 64 : total;
  block[n] = 0x80;
  block.fill(0, n + 1, end);
  if (!paddingBlock) {
    const bits = n * 8;
    block[total - 4] = bits >>> 24;
    block[total - 3] = (bits >>> 16) & 0xff;
    block[total - 2] = (bits >>> 8) & 0xff;
    block[total - 1] = bits & 0xff;
  }
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  for (let offset = 0; offset < total; offset += 64) {
    let w: Int32Array = W;
    if (offset < end) {
      for (let t = 0; t < 16; t++) {
        const j = offset + t * 4;
        W[t] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
      }
      expand(W);
    } else {
      w = paddingSchedules[n] ??= paddingSchedule(n);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    // Four stages of twenty rounds, five per pass: the five words change roles each
    // round, so their names rotate instead of four values moving (about 15% faster).
    let t = 0;
    for (; t < 20; t += 5) {
      e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[t]!) | 0;
      b = (b << 30) | (b >>> 2);
      d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + 0x5a827999 + w[t + 1]!) | 0;
      a = (a << 30) | (a >>> 2);
      c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + 0x5a827999 + w[t + 2]!) | 0;
      e = (e << 30) | (e >>> 2);
      b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + 0x5a827999 + w[t + 3]!) | 0;
      d = (d << 30) | (d >>> 2);
      a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + 0x5a827999 + w[t + 4]!) | 0;
      c = (c << 30) | (c >>> 2);
    }
    for (; t < 40; t += 5) {
      e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[t]!) | 0;
      b = (b << 30) | (b >>> 2);
      d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + 0x6ed9eba1 + w[t + 1]!) | 0;
      a = (a << 30) | (a >>> 2);
      c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + 0x6ed9eba1 + w[t + 2]!) | 0;
      e = (e << 30) | (e >>> 2);
      b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + 0x6ed9eba1 + w[t + 3]!) | 0;
      d = (d << 30) | (d >>> 2);
      a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + 0x6ed9eba1 + w[t + 4]!) | 0;
      c = (c << 30) | (c >>> 2);
    }
    for (; t < 60; t += 5) {
      e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + K3 + w[t]!) | 0;
      b = (b << 30) | (b >>> 2);
      d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + K3 + w[t + 1]!) | 0;
      a = (a << 30) | (a >>> 2);
      c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + K3 + w[t + 2]!) | 0;
      e = (e << 30) | (e >>> 2);
      b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + K3 + w[t + 3]!) | 0;
      d = (d << 30) | (d >>> 2);
      a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + K3 + w[t + 4]!) | 0;
      c = (c << 30) | (c >>> 2);
    }
    for (; t < 80; t += 5) {
      e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K4 + w[t]!) | 0;
      b = (b << 30) | (b >>> 2);
      d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K4 + w[t + 1]!) | 0;
      a = (a << 30) | (a >>> 2);
      c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K4 + w[t + 2]!) | 0;
      e = (e << 30) | (e >>> 2);
      b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K4 + w[t + 3]!) | 0;
      d = (d << 30) | (d >>> 2);
      a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K4 + w[t + 4]!) | 0;
      c = (c << 30) | (c >>> 2);
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  H[0] = h0;
  H[1] = h1;
  H[2] = h2;
  H[3] = h3;
  H[4] = h4;
  return H;
}

/** Schedules of a last block holding only the length (zeros, then n * 8), by n. */
const paddingSchedules: Array<Int32Array | undefined> = [];

function paddingSchedule(n: number): Int32Array {
  const w = new Int32Array(80);
  w[15] = n * 8;
  expand(w);
  return w;
}

function expand(w: Int32Array): void {
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
    w[t] = (x << 1) | (x >>> 31);
  }
}
