package dev.traceledger.examples.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class TraceparentTest {
  private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
  private static final String SPAN = "b7ad6b7169203331";

  @Test
  void parsesVersion00() {
    assertEquals(Optional.of(new Traceparent(TRACE, SPAN, 0x01)), Traceparent.parse("00-" + TRACE + "-" + SPAN + "-01"));
    assertEquals(Optional.of(new Traceparent(TRACE, SPAN, 0x00)), Traceparent.parse(" 00-" + TRACE + "-" + SPAN + "-00 "));
  }

  @Test
  void parsesTheFirstFourFieldsOfALaterVersion() {
    assertEquals(Optional.of(new Traceparent(TRACE, SPAN, 0x03)), Traceparent.parse("cc-" + TRACE + "-" + SPAN + "-03-what-comes-next"));
    assertEquals(Optional.of(new Traceparent(TRACE, SPAN, 0x01)), Traceparent.parse("01-" + TRACE + "-" + SPAN + "-01"));
    assertEquals(Optional.of(new Traceparent(TRACE, SPAN, 0x01)), Traceparent.parse("fe-" + TRACE + "-" + SPAN + "-01-"));
  }

  @Test
  void aRepeatedHeaderIsInvalid() {
    String header = "00-" + TRACE + "-" + SPAN + "-01";
    assertEquals(Optional.of(new Traceparent(TRACE, SPAN, 0x01)), Traceparent.parentOf(List.of(header)));
    assertEquals(Optional.empty(), Traceparent.parentOf(List.of(header, header)));
    assertEquals(Optional.empty(), Traceparent.parentOf(null));
  }

  @Test
  void onlySpacesAndTabsAroundTheValueAreOptionalWhitespace() {
    assertEquals(Optional.of(new Traceparent(TRACE, SPAN, 0x01)), Traceparent.parse(" \t00-" + TRACE + "-" + SPAN + "-01\t"));
    assertEquals(Optional.empty(), Traceparent.parse("\n00-" + TRACE + "-" + SPAN + "-01"));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra", // version 00 has exactly four fields
      "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01extra", // what follows the fields starts with '-'
      "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", // version ff is invalid
      "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", // uppercase
      "00-00000000000000000000000000000000-b7ad6b7169203331-01", // zero trace id
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", // zero span id
      "00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01", // short trace id
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01", // short span id
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1", // short flags
      "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", // no version
  })
  void rejectsWhatIsNotATraceparent(String header) {
    assertEquals(Optional.empty(), Traceparent.parse(header));
  }

  @Test
  void formatsVersion00WithTwoHexDigitsOfFlags() {
    assertEquals("00-" + TRACE + "-" + SPAN + "-01", new Traceparent(TRACE, SPAN, 1).format());
    assertEquals("00-" + TRACE + "-" + SPAN + "-ff", new Traceparent(TRACE, SPAN, 0xff).format());
  }

  @Test
  void aChildKeepsTheTraceAndFlagsWithANewSpanId() {
    Traceparent parent = new Traceparent(TRACE, SPAN, 0x00);
    Traceparent child = parent.newChild();
    assertEquals(TRACE, child.traceId());
    assertEquals(0x00, child.flags());
    assertNotEquals(SPAN, child.spanId());
    assertEquals(Optional.of(child), Traceparent.parse(child.format()));
  }

  @Test
  void aChildKeepsTheSampledAndRandomTraceIdFlags() {
    assertEquals(0x01, new Traceparent(TRACE, SPAN, 0x01).newChild().flags());
    assertEquals(0x02, new Traceparent(TRACE, SPAN, 0x02).newChild().flags());
    assertEquals(0x03, new Traceparent(TRACE, SPAN, 0x03).newChild().flags());
    assertEquals("00-" + TRACE + "-", new Traceparent(TRACE, SPAN, 0x03).newChild().format().substring(0, 36));
    assertTrue(new Traceparent(TRACE, SPAN, 0x03).newChild().format().endsWith("-03"));
    assertTrue(new Traceparent(TRACE, SPAN, 0x03).newChild().randomTraceId());
    assertFalse(new Traceparent(TRACE, SPAN, 0x01).newChild().randomTraceId());
  }

  @Test
  void aChildSendsReservedFlagsAsZero() {
    assertEquals(0x03, new Traceparent(TRACE, SPAN, 0xff).newChild().flags());
    assertTrue(new Traceparent(TRACE, SPAN, 0xff).newChild().format().endsWith("-03"));
    assertEquals(0x02, new Traceparent(TRACE, SPAN, 0xfe).newChild().flags());
    assertEquals(0x00, new Traceparent(TRACE, SPAN, 0xfc).newChild().flags());
  }

  @Test
  void aNewRootIsSampledWithARandomTraceIdAndValidIds() {
    Traceparent root = Traceparent.newRoot();
    assertEquals(0x03, root.flags());
    assertTrue(root.format().endsWith("-03"), root.format());
    assertTrue(root.sampled() && root.randomTraceId());
    assertTrue(Traceparent.parse(root.format()).isPresent());
    assertNotEquals(root.traceId(), Traceparent.newRoot().traceId());
  }

  @Test
  void idsConvertToTheirBytes() {
    Traceparent tp = new Traceparent(TRACE, SPAN, 1);
    assertEquals(16, tp.traceIdBytes().length);
    assertEquals((byte) 0x0a, tp.traceIdBytes()[0]);
    assertEquals((byte) 0x31, tp.spanIdBytes()[7]);
  }

  @Test
  void refusesToBuildInvalidIds() {
    assertThrows(IllegalArgumentException.class, () -> new Traceparent("0".repeat(32), SPAN, 1));
    assertThrows(IllegalArgumentException.class, () -> new Traceparent(TRACE, "xyz", 1));
    assertThrows(IllegalArgumentException.class, () -> new Traceparent(TRACE, SPAN, 256));
  }
}
