// The W3C traceparent handling of the helper, with the cases of the gateway's
// SDK (packages/sdk/src/w3c/traceparent.unit.spec.ts); the calls themselves run
// against a real traceledger in examples/polyglot-e2e.
package lifecycle

import (
	"strings"
	"testing"
)

const header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestParsesTheCallersSpanAndFormatsItBack(t *testing.T) {
	ref, ok := ParseTraceparent(" \t" + header + " ")
	if !ok {
		t.Fatalf("%q did not parse", header)
	}
	if got := ref.Traceparent(); got != header {
		t.Fatalf("formatted %q, want %q", got, header)
	}
	if ref.Flags != Sampled || ref.TraceID[0] != 0x4b || ref.SpanID[7] != 0xb7 {
		t.Fatalf("wrong fields: %+v", ref)
	}
}

func TestOutgoingTraceparentKeepsTheFlagsWithTwoDigits(t *testing.T) {
	ref, _ := ParseTraceparent(header[:53] + "00")
	ref.SpanID = [8]byte{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31}
	if got, want := ref.Traceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-00"; got != want {
		t.Fatalf("formatted %q, want %q", got, want)
	}
}

// A later version is read by its first 55 characters, so a newer sender still joins the trace.
func TestALaterVersionIsReadByItsVersion00Fields(t *testing.T) {
	for _, later := range []string{
		"01" + header[2:],
		"cc" + header[2:53] + "09-what-comes-next",
		"fe" + header[2:] + "-",
	} {
		ref, ok := ParseTraceparent(later)
		if !ok || ref.Traceparent()[:53] != header[:53] {
			t.Errorf("%q parsed as %+v, %v; want the trace and parent of %q", later, ref, ok, header)
		}
	}
	if ref, _ := ParseTraceparent("cc" + header[2:53] + "09-x"); ref.Flags != 0x09 {
		t.Errorf("flags %02x, want 09", ref.Flags)
	}
}

func TestMissingOrInvalidHeadersMeanANewTrace(t *testing.T) {
	for _, bad := range []string{
		"",
		strings.ToUpper(header),
		header + "-extra", // version 00 is exactly 55 characters
		header[:54],
		"ff" + header[2:], // version ff is invalid
		"Cc" + header[2:],
		"cc" + header[2:] + "extra", // what follows the fields must start with '-'
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
		"00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
		"00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01",
	} {
		if ref, ok := ParseTraceparent(bad); ok {
			t.Errorf("%q parsed as %+v; want it refused", bad, ref)
		}
	}
}
