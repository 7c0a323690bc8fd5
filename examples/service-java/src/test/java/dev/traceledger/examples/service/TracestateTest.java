package dev.traceledger.examples.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The tracestate rules of the gateway's SDK (packages/sdk/src/w3c/trace-state.ts). */
class TracestateTest {
  @Test
  void headerLinesAreCombinedInOrder() {
    assertEquals("vendor=abc,other=1,third=x@y", Tracestate.combine(List.of("vendor=abc, other=1", "", " third=x@y ")));
    assertEquals("tenant@sys=v", Tracestate.combine(List.of("tenant@sys=v", ",,")));
    assertEquals("", Tracestate.combine(null));
  }

  /** Keys as Trace Context Level 2 has them: any may start with a digit, "@" is an ordinary key character. */
  static Stream<String> keptWhole() {
    return Stream.of(
        "1vendor=x,rojo=00f067aa0ba902b7",
        "foo@bar@baz=1",
        "k" + "x".repeat(255) + "=1"); // a 256-character key, the longest allowed
  }

  @ParameterizedTest
  @MethodSource("keptWhole")
  void aLevel2KeyIsKept(String header) {
    assertEquals(header, Tracestate.combine(List.of(header)));
  }

  static Stream<List<String>> invalid() {
    return Stream.of(
        List.of("vendor=abc", "Upper=1"),
        List.of("vendOr=1"), // an uppercase letter anywhere in a key
        List.of("@vendor=1"), // a key starts with a lowercase letter or a digit
        List.of("_vendor=1"),
        List.of("k" + "x".repeat(256) + "=1"), // 257 characters
        List.of("vendor=abc", "vendor=def"), // a key may appear once
        List.of("novalue"),
        List.of("k=a=b"),
        List.of(String.join(",", IntStream.range(0, 33).mapToObj(i -> "k" + i + "=v").toList()))); // at most 32 members
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void anInvalidTracestateIsDroppedWhole(List<String> lines) {
    assertEquals("", Tracestate.combine(lines));
  }

  @Test
  void aLongTracestateIsShortenedByWholeMembersLargeOnesFirst() {
    String large = "big=" + "x".repeat(200);
    List<String> small = IntStream.range(0, 30).mapToObj(i -> String.format("k%02d=%s", i, "v".repeat(10))).toList(); // 14 characters each
    assertEquals(String.join(",", small), Tracestate.combine(List.of(small.get(0), large, String.join(",", small.subList(1, 30)))));
    List<String> members = new ArrayList<>(List.of(large, large.replace("big", "bag")));
    members.addAll(small);
    String kept = Tracestate.combine(List.of(String.join(",", members)));
    assertTrue(kept.length() <= 512 && kept.startsWith("k00="), kept);
  }
}
