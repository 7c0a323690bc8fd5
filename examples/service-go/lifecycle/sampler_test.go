package lifecycle

import (
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The gateway's SDK's decisions for fixed trace ids (how they were made: the file's header).
const sdkDecisionsFile = "../../testdata/sdk-sampling-decisions.txt"

func TestTheSamplerDecidesAsTheGatewaysSDKForTheSameTraceIDs(t *testing.T) {
	raw, err := os.ReadFile(sdkDecisionsFile)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	for _, line := range lines {
		fields := strings.Fields(line)
		// A rate as a value (1e-19 and 5e-324 are there), not as a TRACING_SAMPLE_RATE setting.
		rate, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			t.Fatal(err)
		}
		var id [16]byte
		if _, err := hex.Decode(id[:], []byte(fields[1])); err != nil {
			t.Fatal(err)
		}
		want, _ := strconv.ParseBool(fields[2])
		if got := NewSampler(rate).Sample(id); got != want {
			t.Errorf("rate %s, trace %s: sampled %v, the SDK says %v", fields[0], fields[1], got, want)
		}
	}
	if len(lines) != 85 {
		t.Fatalf("%d decisions, want the SDK's 85", len(lines))
	}
}

func TestParseSampleRate(t *testing.T) {
	// The gateway's SDK's grammar (packages/sdk/src/config/tracer-config.ts), and the server's.
	for raw, want := range map[string]float64{"": 1, "  ": 1, "0": 0, "1": 1, " 0.25 ": 0.25, ".5": 0.5, "1.0": 1, "00.5": 0.5, "0.0000000000000000001": 1e-19} {
		if got, err := ParseSampleRate(raw); err != nil || got != want {
			t.Errorf("ParseSampleRate(%q) = %v, %v; want %v", raw, got, err, want)
		}
	}
	for _, raw := range []string{"half", "1.5", "-0.1", "NaN", "inf", "0x1p-2", "0.5d", "1_0", "50%", "5e-1", "1e-19", "+0.5", "-0", "1.", ".", "0.5.1", "0. 5"} {
		_, err := ParseSampleRate(raw)
		if err == nil || !strings.Contains(err.Error(), "TRACING_SAMPLE_RATE=\""+raw+"\" must be a number between 0 and 1 in decimal notation (0, 0.25, .5, 1)") {
			t.Errorf("ParseSampleRate(%q): %v", raw, err)
		}
	}
}
