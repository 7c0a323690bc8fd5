// The tracestate rules of the gateway's SDK (packages/sdk/src/w3c/trace-state.ts).
package lifecycle

import (
	"fmt"
	"strings"
	"testing"
)

func TestTracestateLinesAreCombinedInOrder(t *testing.T) {
	if got := Tracestate([]string{"vendor=abc, other=1", "", " third=x@y "}); got != "vendor=abc,other=1,third=x@y" {
		t.Fatalf("combined %q", got)
	}
	if got := Tracestate([]string{"tenant@sys=v", ",,"}); got != "tenant@sys=v" {
		t.Fatalf("combined %q", got)
	}
}

func TestAnInvalidTracestateIsDroppedWhole(t *testing.T) {
	many := make([]string, 33)
	for i := range many {
		many[i] = fmt.Sprintf("k%d=v", i)
	}
	for _, bad := range [][]string{
		{"vendor=abc", "Upper=1"},
		{"vendor=abc", "vendor=def"}, // a key may appear once
		{"novalue"},
		{"k=a=b"},
		{strings.Join(many, ",")},
	} {
		if got := Tracestate(bad); got != "" {
			t.Errorf("%q gave %q; want it dropped", bad, got)
		}
	}
}

func TestALongTracestateIsShortenedByWholeMembersLargeOnesFirst(t *testing.T) {
	large := "big=" + strings.Repeat("x", 200)
	var small []string
	for i := range 30 {
		small = append(small, fmt.Sprintf("k%02d=%s", i, strings.Repeat("v", 10))) // 14 characters each
	}
	got := Tracestate([]string{small[0], large, strings.Join(small[1:], ",")})
	if strings.Contains(got, "big=") || got != strings.Join(small, ",") {
		t.Fatalf("kept %q", got)
	}
	got = Tracestate([]string{large + "," + strings.Replace(large, "big", "bag", 1) + "," + strings.Join(small, ",")})
	if len(got) > 512 || !strings.HasPrefix(got, "k00=") {
		t.Fatalf("kept %d characters: %q", len(got), got)
	}
}
