package lifecycle

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// The W3C trace-flags bits understood here; the others are reserved and sent as zero.
const (
	// Sampled asks downstream services to record.
	Sampled byte = 0x01
	// RandomTraceID (W3C Trace Context Level 2) says that at least the right-most
	// 7 bytes of the trace id were picked at random. It belongs to the trace: set
	// by whoever picked the id, then passed on unchanged by every span of it.
	RandomTraceID byte = 0x02
)

// SpanRef names a span by its W3C ids.
type SpanRef struct {
	TraceID [16]byte
	SpanID  [8]byte
	Flags   byte
}

// Traceparent formats the span as a version 00 traceparent (the only version sent).
func (s SpanRef) Traceparent() string {
	return fmt.Sprintf("00-%x-%x-%02x", s.TraceID, s.SpanID, s.Flags)
}

// version00Length is the length of a version 00 traceparent, and of the part
// of a later version that is read.
const version00Length = 55

// ParseTraceparent reads a traceparent (https://www.w3.org/TR/trace-context/):
// version 00 is exactly 55 characters of lowercase hex; a later version is read
// by its first 55 characters, which must end the value or be followed by '-',
// so that a newer sender still joins the trace; version ff is invalid, and so
// are all-zero ids. It reports false for a missing or invalid header: start a
// new trace then. The same rules as the gateway's SDK.
func ParseTraceparent(header string) (SpanRef, bool) {
	var ref SpanRef
	h := strings.Trim(header, " \t")
	if len(h) < version00Length || h[2] != '-' || h[35] != '-' || h[52] != '-' {
		return ref, false
	}
	version := make([]byte, 1)
	if !lowerHex(h[0:2], version) || version[0] == 0xff {
		return ref, false
	}
	if version[0] == 0 && len(h) != version00Length || len(h) > version00Length && h[version00Length] != '-' {
		return ref, false
	}
	flags := make([]byte, 1)
	if !lowerHex(h[3:35], ref.TraceID[:]) || !lowerHex(h[36:52], ref.SpanID[:]) || !lowerHex(h[53:55], flags) {
		return ref, false
	}
	if ref.TraceID == [16]byte{} || ref.SpanID == [8]byte{} {
		return ref, false
	}
	ref.Flags = flags[0]
	return ref, true
}

func lowerHex(s string, into []byte) bool {
	if strings.ToLower(s) != s {
		return false
	}
	_, err := hex.Decode(into, []byte(s))
	return err == nil
}
