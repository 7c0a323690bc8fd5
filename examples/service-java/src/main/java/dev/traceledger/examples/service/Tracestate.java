package dev.traceledger.examples.service;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The W3C tracestate header, Trace Context Level 2
 * (https://www.w3.org/TR/trace-context-2/#tracestate-header), by the same rules as the gateway's
 * SDK (packages/sdk/src/w3c/trace-state.ts). A key is {@code ( lcalpha / DIGIT ) 0*255( keychar )},
 * keychar being lcalpha, DIGIT, "_", "-", "*", "/" or "@": Level 1's split into simple and
 * multi-tenant keys is gone, and every Level 1 key is still valid.
 */
final class Tracestate {
  private static final Pattern KEY = Pattern.compile("[a-z0-9][a-z0-9_\\-*/@]{0,255}");
  private static final Pattern VALUE = Pattern.compile("[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]");
  private static final int MAX_MEMBERS = 32;
  /** What the spec asks vendors to propagate at least; no more is sent. */
  private static final int MAX_LENGTH = 512;
  /** Members longer than this are the first to go when shortening. */
  private static final int LARGE_MEMBER = 128;

  private Tracestate() {}

  /**
   * The header's lines as one value, in order (HTTP lets a list header be split over several
   * lines). A list that breaks the grammar (a bad key or value, a repeated key, more than 32
   * members) is dropped whole, and a long one is shortened to 512 characters by whole members;
   * "" means none.
   */
  static String combine(List<String> lines) {
    List<String> members = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    for (String line : lines == null ? List.<String>of() : lines) {
      for (String raw : line.split(",", -1)) {
        String member = Traceparent.trimOws(raw);
        if (member.isEmpty()) continue;
        int eq = member.indexOf('=');
        if (eq < 0) return "";
        String key = member.substring(0, eq);
        if (!KEY.matcher(key).matches() || !VALUE.matcher(member.substring(eq + 1)).matches() || !keys.add(key)) return "";
        members.add(member);
        if (members.size() > MAX_MEMBERS) return "";
      }
    }
    return shorten(members);
  }

  /** Leaves out first the large members, then the last ones, until the value fits. */
  private static String shorten(List<String> members) {
    int length = Math.max(0, members.size() - 1);
    for (String m : members) length += m.length();
    for (int i = members.size() - 1; i >= 0 && length > MAX_LENGTH; i--) {
      if (members.get(i).length() > LARGE_MEMBER) length -= members.remove(i).length() + 1;
    }
    while (length > MAX_LENGTH && !members.isEmpty()) length -= members.remove(members.size() - 1).length() + 1;
    return String.join(",", members);
  }
}
