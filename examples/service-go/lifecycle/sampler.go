package lifecycle

import (
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Sampler is head sampling of new traces, as the gateway's SDK does it
// (packages/sdk/src/sampling/trace-id-ratio-sampler.ts) and as OpenTelemetry's
// consistent probability sampling does: a new trace is recorded when the last 7
// bytes of its id (56 bits, unsigned, big-endian) are at least the rejection
// threshold 2^56 - round(rate × 2^56). The decision depends on the trace id
// alone, so every service with the same rate decides the same for the same
// trace, and so does traceledger's export sampling. A span with a parent
// follows the parent's sampled flag instead.
type Sampler struct {
	all  bool   // rate 1: every trace
	kept uint64 // otherwise: how many of the 2^56 randomness values are kept; 0 samples none
}

const randomness = uint64(1) << 56

// NewSampler samples new traces at rate, from 0 (none) to 1 (all); a rate
// outside that range (or NaN) counts as its nearest end, NaN as 0, as the SDK's.
func NewSampler(rate float64) Sampler {
	if !(rate > 0) {
		return Sampler{}
	}
	if rate >= 1 {
		return Sampler{all: true}
	}
	// rate × 2^56 exactly (a power-of-two scaling), rounded half up as the SDK's
	// Math.round (math.Round rounds half away from zero: the same for a positive).
	return Sampler{kept: uint64(math.Round(math.Ldexp(rate, 56)))}
}

// Sample reports whether a new trace with this id is recorded.
func (s Sampler) Sample(traceID [16]byte) bool {
	return s.all || (s.kept > 0 && binary.BigEndian.Uint64(traceID[8:])&(randomness-1) >= randomness-s.kept)
}

// Plain decimal notation (0, 0.25, .5, 1): digits with at most one point and a
// digit after it; no sign or exponent. It is the grammar of the gateway's SDK
// and of the server, which read the same variable, so one setting starts every
// service of the chain or none; and the same text gives the same float64 in
// every language (each rounds decimals correctly), so the same decisions.
var decimal = regexp.MustCompile(`^[0-9]*\.?[0-9]+$`)

// ParseSampleRate reads TRACING_SAMPLE_RATE: empty means 1 (every new trace);
// otherwise a number from 0 to 1 in decimal notation.
func ParseSampleRate(raw string) (float64, error) {
	value := strings.TrimSpace(raw)
	if value == "" {
		return 1, nil
	}
	rate, err := strconv.ParseFloat(value, 64)
	if !decimal.MatchString(value) || err != nil || !(rate >= 0 && rate <= 1) {
		return 0, fmt.Errorf("TRACING_SAMPLE_RATE=%q must be a number between 0 and 1 in decimal notation (0, 0.25, .5, 1)", raw)
	}
	return rate, nil
}
