package lifecycle

import (
	"regexp"
	"strings"
)

// The W3C tracestate grammar, Trace Context Level 2
// (https://www.w3.org/TR/trace-context-2/#tracestate-header), as the gateway's
// SDK reads it (packages/sdk/src/w3c/trace-state.ts):
//
//	key     = ( lcalpha / DIGIT ) 0*255( keychar )
//	keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
//
// Level 1's split into simple and multi-tenant (`tenant@system`) keys is gone:
// "@" is an ordinary key character, any key may start with a digit, and a key
// has at most 256 characters. Every Level 1 key is still valid.
var (
	stateKey   = regexp.MustCompile(`^[a-z0-9][a-z0-9_\-*/@]{0,255}$`)
	stateValue = regexp.MustCompile(`^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$`)
)

const (
	maxMembers = 32
	// maxLength is what the spec asks vendors to propagate at least; no more is sent.
	maxLength = 512
	// largeMember: members longer than this are the first to go when shortening.
	largeMember = 128
)

// Tracestate combines the header lines of a tracestate into one value, in
// order (HTTP allows a list header to be split over several lines). A list
// that breaks the grammar (a bad key or value, a repeated key, more than 32
// members) is dropped whole, and a long one is shortened to 512 characters by
// whole members, as the gateway's SDK does; "" means none.
func Tracestate(lines []string) string {
	var members []string
	seen := map[string]bool{}
	for _, line := range lines {
		for _, raw := range strings.Split(line, ",") {
			member := strings.Trim(raw, " \t")
			if member == "" {
				continue
			}
			key, value, ok := strings.Cut(member, "=")
			if !ok || !stateKey.MatchString(key) || !stateValue.MatchString(value) || seen[key] {
				return ""
			}
			seen[key] = true
			if members = append(members, member); len(members) > maxMembers {
				return ""
			}
		}
	}
	return shorten(members)
}

// shorten joins members, leaving out first the large ones, then the last ones,
// until the value fits in maxLength.
func shorten(members []string) string {
	length := len(members) - 1 // the commas
	for _, m := range members {
		length += len(m)
	}
	for i := len(members) - 1; i >= 0 && length > maxLength; i-- {
		if len(members[i]) > largeMember {
			length -= len(members[i]) + 1
			members = append(members[:i], members[i+1:]...)
		}
	}
	for length > maxLength && len(members) > 0 {
		length -= len(members[len(members)-1]) + 1
		members = members[:len(members)-1]
	}
	return strings.Join(members, ",")
}
