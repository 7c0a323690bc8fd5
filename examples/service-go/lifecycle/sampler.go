package lifecycle

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// Sampler is head sampling of new traces, as the gateway's SDK does it
// (packages/sdk/src/sampling/trace-id-ratio-sampler.ts): a new trace is
// recorded when the last 8 bytes of its id, read as an unsigned 64-bit
// big-endian integer, are below rate × 2^64. The decision depends on the trace
// id alone, so every service with the same rate decides the same for the same
// trace. A span with a parent follows the parent's sampled flag instead.
type Sampler struct {
	all       bool   // rate 1: every trace, even the one whose last 8 bytes are 2^64 - 1
	threshold uint64 // otherwise: floor(rate × 2^64); 0 samples none
}

// NewSampler samples new traces at rate, from 0 (none) to 1 (all); a rate
// outside that range (or NaN) counts as its nearest end, NaN as 0, as the SDK's.
func NewSampler(rate float64) Sampler {
	if !(rate > 0) {
		return Sampler{}
	}
	if rate >= 1 {
		return Sampler{all: true}
	}
	// rate × 2^64 exactly (a float64 times a power of two), truncated: the SDK's
	// Math.floor(rate * 2^32 * 2^32). Below 2^64 since rate < 1, so it fits.
	threshold, _ := new(big.Float).SetMantExp(big.NewFloat(rate), 64).Uint64()
	return Sampler{threshold: threshold}
}

// Sample reports whether a new trace with this id is recorded.
func (s Sampler) Sample(traceID [16]byte) bool {
	return s.all || binary.BigEndian.Uint64(traceID[8:]) < s.threshold
}

// A plain decimal number: the same text then gives the same float64 in every
// language of the chain (each rounds decimals correctly), so the same decisions.
var decimal = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// ParseSampleRate reads TRACING_SAMPLE_RATE: empty means 1 (every new trace);
// otherwise a decimal number from 0 to 1.
func ParseSampleRate(raw string) (float64, error) {
	value := strings.TrimSpace(raw)
	if value == "" {
		return 1, nil
	}
	rate, err := strconv.ParseFloat(value, 64)
	if !decimal.MatchString(value) || err != nil || !(rate >= 0 && rate <= 1) {
		return 0, fmt.Errorf("TRACING_SAMPLE_RATE=%q must be a number between 0 and 1", raw)
	}
	return rate, nil
}
