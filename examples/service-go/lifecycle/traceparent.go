package lifecycle

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Sampled is the W3C trace-flags bit that asks downstream services to record.
const Sampled byte = 0x01

// SpanRef names a span by its W3C ids: what the calls after StartSpan and the
// next service need.
type SpanRef struct {
	TraceID [16]byte
	SpanID  [8]byte
	Flags   byte
}

// Traceparent is the header to send downstream: this span becomes the callee's parent.
func (s SpanRef) Traceparent() string {
	return fmt.Sprintf("00-%x-%x-%02x", s.TraceID, s.SpanID, s.Flags)
}

// ParseTraceparent reads a version 00 traceparent (exactly 55 characters of
// lowercase hex, ids not all zero: https://www.w3.org/TR/trace-context/). It
// reports false for a missing or invalid header: start a new trace then.
func ParseTraceparent(header string) (SpanRef, bool) {
	var ref SpanRef
	h := strings.Trim(header, " \t")
	if len(h) != 55 || h[0:3] != "00-" || h[35] != '-' || h[52] != '-' {
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
