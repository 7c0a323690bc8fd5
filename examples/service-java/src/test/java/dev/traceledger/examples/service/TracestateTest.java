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

  static Stream<List<String>> invalid() {
    return Stream.of(
        List.of("vendor=abc", "Upper=1"),
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
