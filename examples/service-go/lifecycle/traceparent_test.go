// The W3C traceparent handling of the helper; the calls themselves run against
// a real traceledger in examples/polyglot-e2e.
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

func TestMissingOrInvalidHeadersMeanANewTrace(t *testing.T) {
	for _, bad := range []string{
		"",
		strings.ToUpper(header),
		header + "-extra",
		header[:54],
		"01" + header[2:],
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
