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
		rate, err := ParseSampleRate(fields[0])
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
	for raw, want := range map[string]float64{"": 1, "  ": 1, "0": 0, "1": 1, " 0.25 ": 0.25, "1e-19": 1e-19, ".5": 0.5, "1.": 1, "+0.3": 0.3, "1.0e0": 1} {
		if got, err := ParseSampleRate(raw); err != nil || got != want {
			t.Errorf("ParseSampleRate(%q) = %v, %v; want %v", raw, got, err, want)
		}
	}
	for _, raw := range []string{"half", "1.5", "-0.1", "NaN", "inf", "1e400", "0x1p-2", "0.5d", "1_0", "50%"} {
		_, err := ParseSampleRate(raw)
		if err == nil || !strings.Contains(err.Error(), "TRACING_SAMPLE_RATE=\""+raw+"\" must be a number between 0 and 1") {
			t.Errorf("ParseSampleRate(%q): %v", raw, err)
		}
	}
}
