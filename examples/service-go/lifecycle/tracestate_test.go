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

// W3C Trace Context Level 2 keys: ( lcalpha / DIGIT ) 0*255( keychar ), "@" an
// ordinary keychar; Level 1's simple / multi-tenant split is gone.
func TestTracestateKeysFollowLevel2(t *testing.T) {
	long := strings.Repeat("k", 256)
	for _, c := range []struct{ in, want string }{
		{"1vendor=x,rojo=00f067aa0ba902b7", "1vendor=x,rojo=00f067aa0ba902b7"},
		{"foo@bar@baz=1", "foo@bar@baz=1"},
		{long + "=v", long + "=v"},
		{"1" + long[1:] + "=v", "1" + long[1:] + "=v"},                                           // 256 characters, starting with a digit
		{"tenant@" + strings.Repeat("s", 20) + "=v", "tenant@" + strings.Repeat("s", 20) + "=v"}, // Level 1 capped the system at 14
		{"t@1sys=v,a@=1", "t@1sys=v,a@=1"},
		{"vendor=abc,congo=t61rcWkgMzE", "vendor=abc,congo=t61rcWkgMzE"}, // Level 1 keys stay valid
	} {
		if got := Tracestate([]string{c.in}); got != c.want {
			t.Errorf("%q gave %q; want %q", c.in, got, c.want)
		}
	}
}

func TestAnInvalidTracestateIsDroppedWhole(t *testing.T) {
	many := make([]string, 33)
	for i := range many {
		many[i] = fmt.Sprintf("k%d=v", i)
	}
	for _, bad := range [][]string{
		{"vendor=abc", "Upper=1"},
		{"vEndor=1"},                      // no uppercase anywhere in a key
		{"vendor=abc,@vendor=1"},          // a key starts with a letter or digit
		{"_vendor=1"},                     // ... not "@" or "_"
		{strings.Repeat("k", 257) + "=v"}, // a key has at most 256 characters
		{"vendor=abc", "vendor=def"},      // a key may appear once
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
