// The W3C `tracestate` header, Trace Context Level 2
// (https://www.w3.org/TR/trace-context-2/#tracestate-header):
//
//   list        = list-member 0*31( OWS "," OWS list-member )
//   list-member = (key "=" value) / OWS
//   key         = ( lcalpha / DIGIT ) 0*255( keychar )
//   keychar     = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
//   value       = 0*255(chr) nblk-chr
//   nblk-chr    = %x21-2B / %x2D-3C / %x3E-7E
//   chr         = %x20 / nblk-chr
//
// Level 2 dropped Level 1's split into simple keys and multi-tenant keys
// (`tenant@system`): "@" is an ordinary key character, any key may start with a
// digit, and a key has at most 256 characters. Every Level 1 key is still valid.
//
// A header that breaks any rule (bad key or value, a duplicated key, more than 32
// members) is discarded whole, as the W3C test suite expects. Empty members are
// allowed and skipped. TraceState is immutable: every change returns a new one,
// with the changed key moved to the front as the spec requires.

import { parsed, refused, type ParseResult } from "./parse-result.js";
import { trimOws } from "./traceparent.js";

export const TRACESTATE_MAX_MEMBERS = 32;
/** The length the spec asks vendors to propagate at least; we propagate at most this. */
export const TRACESTATE_MAX_LENGTH = 512;
/** Members longer than this are the first to go when the header must be shortened. */
const LARGE_MEMBER_LENGTH = 128;

const KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

function isValidTraceStateKey(key: string): boolean {
  return KEY.test(key);
}

function isValidTraceStateValue(value: string): boolean {
  return VALUE.test(value);
}

export class TraceState {
  static readonly EMPTY = new TraceState([]);

  /** Members in header order, left (most recent) first. */
  private constructor(private readonly members: ReadonlyArray<readonly [string, string]>) {}

  /**
   * Parses one header value, or several header lines of the same request
   * (combined in order, as RFC 7230 field order says).
   */
  static parse(header: string | readonly string[]): ParseResult<TraceState> {
    const lines = typeof header === "string" ? [header] : header;
    const members: Array<readonly [string, string]> = [];
    const seen = new Set<string>();
    for (const line of lines) {
      for (const raw of line.split(",")) {
        const member = trimOws(raw);
        if (member === "") continue;
        const eq = member.indexOf("=");
        if (eq < 0) return refused(`list-member ${JSON.stringify(member)} has no "="`);
        const key = member.slice(0, eq);
        const value = member.slice(eq + 1);
        if (!isValidTraceStateKey(key)) return refused(`invalid tracestate key ${JSON.stringify(key)}`);
        if (!isValidTraceStateValue(value)) return refused(`invalid tracestate value ${JSON.stringify(value)} for key ${JSON.stringify(key)}`);
        if (seen.has(key)) return refused(`duplicated tracestate key ${JSON.stringify(key)}`);
        seen.add(key);
        members.push([key, value]);
        if (members.length > TRACESTATE_MAX_MEMBERS) return refused(`a tracestate has at most ${TRACESTATE_MAX_MEMBERS} list-members`);
      }
    }
    return parsed(members.length === 0 ? TraceState.EMPTY : new TraceState(members));
  }

  get size(): number {
    return this.members.length;
  }

  get(key: string): string | undefined {
    return this.members.find(([k]) => k === key)?.[1];
  }

  /** Keys in header order. */
  keys(): string[] {
    return this.members.map(([k]) => k);
  }

  /**
   * Updates or inserts `key`, moving it to the front. When the list would exceed
   * 32 members, the last one is dropped. Throws on an invalid key or value.
   */
  set(key: string, value: string): TraceState {
    if (!isValidTraceStateKey(key)) throw new TypeError(`invalid tracestate key ${JSON.stringify(key)}`);
    if (!isValidTraceStateValue(value)) throw new TypeError(`invalid tracestate value ${JSON.stringify(value)}`);
    const rest = this.members.filter(([k]) => k !== key);
    return new TraceState([[key, value] as const, ...rest].slice(0, TRACESTATE_MAX_MEMBERS));
  }

  delete(key: string): TraceState {
    const rest = this.members.filter(([k]) => k !== key);
    return rest.length === this.members.length ? this : rest.length === 0 ? TraceState.EMPTY : new TraceState(rest);
  }

  /**
   * The header value to propagate, at most `maxLength` characters (commas
   * included). Only whole members are removed: first those longer than 128
   * characters, then from the end of the list, as the spec recommends.
   */
  serialize(maxLength: number = TRACESTATE_MAX_LENGTH): string {
    const entries = this.members.map(([k, v]) => `${k}=${v}`);
    let length = entries.reduce((sum, e) => sum + e.length, 0) + Math.max(0, entries.length - 1);
    const removeAt = (i: number) => {
      length -= entries[i]!.length + (entries.length > 1 ? 1 : 0);
      entries.splice(i, 1);
    };
    for (let i = entries.length - 1; i >= 0 && length > maxLength; i--) {
      if (entries[i]!.length > LARGE_MEMBER_LENGTH) removeAt(i);
    }
    while (length > maxLength && entries.length > 0) removeAt(entries.length - 1);
    return entries.join(",");
  }

  toString(): string {
    return this.serialize(Infinity);
  }
}
