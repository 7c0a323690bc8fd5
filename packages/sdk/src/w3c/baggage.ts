// W3C Baggage (https://www.w3.org/TR/baggage/):
//
//   baggage-string = list-member 0*179( OWS "," OWS list-member )
//   list-member    = key OWS "=" OWS value *( OWS ";" OWS property )
//   property       = key OWS "=" OWS value / key OWS
//   key            = token                        ; RFC 7230 section 3.2.6
//   value          = *baggage-octet               ; a percent-encoded UTF-8 string
//   baggage-octet  = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
//
// Values (and property values) are percent-decoded as UTF-8 when parsed, a
// sequence that is not UTF-8 becoming U+FFFD as the spec requires, and encoded
// when serialized (only what is not a baggage-octet, plus "%" and "="). A member
// that does not follow the grammar is dropped on its own ("it MAY remove that
// entry"); the others are kept. Limits: at most 64 members and 8192 bytes,
// counted as received when parsed and as sent when serialized; only whole
// members are dropped, those that do not fit, and the later ones still go if
// they fit. A key given twice keeps its last value (de-duplication is an
// allowed mutation).

import { trimOws } from "./traceparent.js";

export const BAGGAGE_MAX_MEMBERS = 64;
export const BAGGAGE_MAX_BYTES = 8192;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAGGAGE_OCTETS = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;

export interface BaggageProperty {
  readonly key: string;
  /** Absent for a property that is only a key. */
  readonly value?: string;
}

export interface BaggageEntry {
  readonly value: string;
  readonly properties: readonly BaggageProperty[];
}

export class Baggage {
  static readonly EMPTY = new Baggage(new Map());

  private constructor(private readonly entries: ReadonlyMap<string, BaggageEntry>) {}

  /** Parses one header value or several header lines (combined in order). Never throws. */
  static parse(header: string | readonly string[]): Baggage {
    const lines = typeof header === "string" ? [header] : header;
    const entries = new Map<string, BaggageEntry>();
    // Each member's size as received (its text between commas, without the whitespace around it).
    const sizes = new Map<string, number>();
    let bytes = 0;
    for (const line of lines) {
      for (const raw of line.split(",")) {
        const text = trimOws(raw);
        if (text === "") continue;
        const member = parseMember(text);
        if (member === undefined) continue;
        const [key, entry] = member;
        const before = sizes.get(key);
        // A comma before every member but the first.
        const after = before === undefined ? bytes + (sizes.size === 0 ? 0 : 1) + text.length : bytes - before + text.length;
        if (after > BAGGAGE_MAX_BYTES || (before === undefined && sizes.size >= BAGGAGE_MAX_MEMBERS)) continue;
        bytes = after;
        sizes.set(key, text.length);
        entries.set(key, entry);
      }
    }
    return entries.size === 0 ? Baggage.EMPTY : new Baggage(entries);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): BaggageEntry | undefined {
    return this.entries.get(key);
  }

  /** The value of `key`, decoded. */
  getValue(key: string): string | undefined {
    return this.entries.get(key)?.value;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Sets a member (any UTF-8 value; it is percent-encoded when sent). Throws on a key that is not a token. */
  set(key: string, value: string, properties: readonly BaggageProperty[] = []): Baggage {
    if (!TOKEN.test(key)) throw new TypeError(`invalid baggage key ${JSON.stringify(key)}: it must be an RFC 7230 token`);
    for (const property of properties) {
      if (!TOKEN.test(property.key)) throw new TypeError(`invalid baggage property key ${JSON.stringify(property.key)}`);
    }
    const next = new Map(this.entries);
    next.set(key, { value, properties: [...properties] });
    return new Baggage(next);
  }

  delete(key: string): Baggage {
    if (!this.entries.has(key)) return this;
    const next = new Map(this.entries);
    next.delete(key);
    return next.size === 0 ? Baggage.EMPTY : new Baggage(next);
  }

  /** The header value, within 64 members and 8192 bytes: a member that does not fit is left out, and the next ones still go if they fit. */
  serialize(): string {
    let out = "";
    let count = 0;
    for (const [key, entry] of this.entries) {
      if (count === BAGGAGE_MAX_MEMBERS) break;
      const member = formatMember(key, entry);
      const next = count === 0 ? member : `${out},${member}`;
      if (next.length > BAGGAGE_MAX_BYTES) continue;
      out = next;
      count++;
    }
    return out;
  }

  toString(): string {
    return this.serialize();
  }
}

function parseMember(raw: string): [string, BaggageEntry] | undefined {
  const [pair, ...rawProperties] = raw.split(";");
  const eq = pair!.indexOf("=");
  if (eq < 0) return undefined;
  const key = trimOws(pair!.slice(0, eq));
  const encoded = trimOws(pair!.slice(eq + 1));
  if (!TOKEN.test(key) || !BAGGAGE_OCTETS.test(encoded)) return undefined;
  const value = percentDecode(encoded);
  if (value === undefined) return undefined;
  const properties: BaggageProperty[] = [];
  for (const rawProperty of rawProperties) {
    const property = parseProperty(rawProperty);
    if (property === undefined) return undefined;
    properties.push(property);
  }
  return [key, { value, properties }];
}

function parseProperty(raw: string): BaggageProperty | undefined {
  const eq = raw.indexOf("=");
  const key = trimOws(eq < 0 ? raw : raw.slice(0, eq));
  if (!TOKEN.test(key)) return undefined;
  if (eq < 0) return { key };
  const encoded = trimOws(raw.slice(eq + 1));
  if (!BAGGAGE_OCTETS.test(encoded)) return undefined;
  const value = percentDecode(encoded);
  return value === undefined ? undefined : { key, value };
}

function formatMember(key: string, entry: BaggageEntry): string {
  let out = `${key}=${percentEncode(entry.value)}`;
  for (const property of entry.properties) {
    out += property.value === undefined ? `;${property.key}` : `;${property.key}=${percentEncode(property.value)}`;
  }
  return out;
}

const utf8Encoder = new TextEncoder();
/** Not fatal: a byte sequence that is not UTF-8 decodes to U+FFFD, as the spec requires. */
const utf8Decoder = new TextDecoder("utf-8");
const HEX = "0123456789ABCDEF";

/** The value's UTF-8 bytes, each that is not a baggage-octet (and "%" and "=") as %XX. A lone surrogate is sent as U+FFFD. */
function percentEncode(value: string): string {
  let plain = true;
  for (let i = 0; i < value.length && plain; i++) plain = isPlainOctet(value.charCodeAt(i));
  if (plain) return value;
  let out = "";
  for (const byte of utf8Encoder.encode(value)) out += isPlainOctet(byte) ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  return out;
}

function isPlainOctet(code: number): boolean {
  return code >= 0x21 && code <= 0x7e && code !== 0x22 && code !== 0x2c && code !== 0x3b && code !== 0x5c && code !== 0x25 && code !== 0x3d;
}

/** %XX sequences as UTF-8 bytes; undefined for a "%" not followed by two hex digits (not in the format). */
function percentDecode(value: string): string | undefined {
  if (!value.includes("%")) return value;
  const bytes = new Uint8Array(value.length);
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code !== 0x25) {
      bytes[n++] = code; // a baggage-octet: ASCII
      continue;
    }
    const byte = parseInt(value.slice(i + 1, i + 3), 16);
    if (!/^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) return undefined;
    bytes[n++] = byte;
    i += 2;
  }
  return utf8Decoder.decode(bytes.subarray(0, n));
}
