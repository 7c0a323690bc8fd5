// W3C Trace Context as the gateway's SDK handles it (packages/sdk/src/propagation):
// what reaches the next service and what reaches traceledger, for the headers a
// caller may send. Real HTTP on loopback, and a stand-in traceledger that is a
// real grpc-go server.
package main

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tracev1 "github.com/traceledger/traceledger/examples/proto-go/src/gen/traceledger/v1"
	"github.com/traceledger/traceledger/examples/service-go/internal/standin"
	"github.com/traceledger/traceledger/examples/service-go/lifecycle"
)

// calledWith runs a next service that keeps the headers of its last call.
func calledWith(t *testing.T) (*httptest.Server, func() http.Header) {
	var mu sync.Mutex
	var last http.Header
	next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		last = r.Header.Clone()
		mu.Unlock()
		w.Write([]byte(`{"service":"next"}`))
	}))
	t.Cleanup(next.Close)
	return next, func() http.Header { mu.Lock(); defer mu.Unlock(); return last }
}

// startOf waits for the StartSpan of the span that traceparent names.
func startOf(t *testing.T, ledger *standin.Traceledger, traceparent string) *tracev1.StartSpanRequest {
	span, _ := lifecycle.ParseTraceparent(traceparent)
	var found *tracev1.StartSpanRequest
	ledger.WaitFor(t, 5*time.Second, func(calls []standin.Call) bool {
		for _, c := range calls {
			if r, ok := c.Request.(*tracev1.StartSpanRequest); ok && bytes.Equal(r.SpanId, span.SpanID[:]) {
				found = r
				return true
			}
		}
		return false
	})
	return found
}

func TestAnUnsampledCallerGetsNoSpanButItsTraceGoesOnUnsampled(t *testing.T) {
	ledger := standin.Start(t, "127.0.0.1:0")
	next, seen := calledWith(t)
	service := startService(t, "service-go", next.URL, ledger.Addr, lifecycle.DefaultRetry)
	unsampled := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"

	status, body := getWith(t, service.URL+"/work?fail=service-go", headers("traceparent", unsampled, "tracestate", "vendor=abc"))
	if status != http.StatusInternalServerError {
		t.Fatalf("status %d, body %v", status, body)
	}
	sent := seen().Get("traceparent")
	if !strings.HasPrefix(sent, unsampled[:36]) || !strings.HasSuffix(sent, "-00") || sent == unsampled || seen().Get("tracestate") != "vendor=abc" {
		t.Fatalf("next service got traceparent %q tracestate %q: want the caller's trace, a new parent, flags 00", sent, seen().Get("tracestate"))
	}

	// Unsampled with the random trace-id flag (Level 2): the flag is passed on, still unsampled.
	randomUnsampled := "00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-02"
	if status, body := getWith(t, service.URL+"/work", headers("traceparent", randomUnsampled)); status != http.StatusOK {
		t.Fatalf("status %d, body %v", status, body)
	}
	if sent := seen().Get("traceparent"); !strings.HasPrefix(sent, randomUnsampled[:36]) || !strings.HasSuffix(sent, "-02") || sent == randomUnsampled {
		t.Fatalf("next service got traceparent %q: want the caller's trace, a new parent, flags 02", sent)
	}

	// The calls leave in order: once a sampled request's span has ended in
	// traceledger, any call of the unsampled one would have arrived before it.
	getWith(t, service.URL+"/work", headers("traceparent", incoming))
	ledger.WaitFor(t, 5*time.Second, func(calls []standin.Call) bool { return len(calls) > 0 && calls[len(calls)-1].Method == "EndSpan" })
	for _, c := range ledger.Calls() {
		if traceOf(c) == unsampled[3:35] || traceOf(c) == randomUnsampled[3:35] {
			t.Fatalf("the unsampled trace reached traceledger: %s %v", c.Method, c.Request)
		}
	}
}

// traceOf is the trace id (hex) a call names.
func traceOf(c standin.Call) string {
	switch r := c.Request.(type) {
	case *tracev1.StartSpanRequest:
		return hex.EncodeToString(r.TraceId)
	case interface{ GetTraceparent() string }:
		span, _ := lifecycle.ParseTraceparent(r.GetTraceparent())
		return hex.EncodeToString(span.TraceID[:])
	}
	return ""
}

func TestTraceContextReachesTheNextServiceAndTraceledgerAsTheGatewaySendsIt(t *testing.T) {
	const trace, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	ledger := standin.Start(t, "127.0.0.1:0")
	next, seen := calledWith(t)
	service := startService(t, "service-go", next.URL, ledger.Addr, lifecycle.DefaultRetry)

	for _, c := range []struct {
		name       string
		in         http.Header
		sameTrace  bool
		flags      string // of the traceparent sent on
		tracestate string // sent on, and given to StartSpan
	}{
		{"tracestate lines are combined", headers("traceparent", incoming, "tracestate", "vendor=abc", "tracestate", "other=1"), true, "01", "vendor=abc,other=1"},
		{"an invalid tracestate is dropped", headers("traceparent", incoming, "tracestate", "Vendor=abc"), true, "01", ""},
		{"Level 2 tracestate keys are kept", headers("traceparent", incoming, "tracestate", "1vendor=x,rojo=00f067aa0ba902b7", "tracestate", "foo@bar@baz=1"), true, "01", "1vendor=x,rojo=00f067aa0ba902b7,foo@bar@baz=1"},
		// A new trace's id is all crypto-random: sampled, with the random trace-id flag (Level 2).
		{"an invalid traceparent drops the tracestate", headers("traceparent", "00-"+trace+"-xyz-01", "tracestate", "vendor=abc"), false, "03", ""},
		{"a repeated traceparent is invalid", headers("traceparent", incoming, "traceparent", incoming, "tracestate", "vendor=abc"), false, "03", ""},
		{"version ff is invalid", headers("traceparent", "ff"+incoming[2:], "tracestate", "vendor=abc"), false, "03", ""},
		{"no traceparent starts a new trace", headers("tracestate", "vendor=abc"), false, "03", ""},
		{"a later version is read by its first fields", headers("traceparent", "cc-"+trace+"-"+parent+"-01-what-comes-next", "tracestate", "vendor=abc"), true, "01", "vendor=abc"},
		{"the random trace-id flag is passed on", headers("traceparent", "00-"+trace+"-"+parent+"-03"), true, "03", ""},
		{"reserved flags are sent as zero", headers("traceparent", "00-"+trace+"-"+parent+"-ff"), true, "03", ""},
		{"reserved flags are sent as zero, without the random trace-id flag", headers("traceparent", "00-"+trace+"-"+parent+"-fd"), true, "01", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if status, body := getWith(t, service.URL+"/work", c.in); status != http.StatusOK {
				t.Fatalf("status %d, body %v", status, body)
			}
			sent := seen()
			own := sent.Get("traceparent")
			if strings.HasPrefix(own, "00-"+trace+"-") != c.sameTrace || !strings.HasSuffix(own, "-"+c.flags) {
				t.Errorf("next service got traceparent %q", own)
			}
			if got := strings.Join(sent.Values("tracestate"), "|"); got != c.tracestate {
				t.Errorf("next service got tracestate %q, want %q", got, c.tracestate)
			}
			start := startOf(t, ledger, own)
			// The parent as traceledger gets it carries the flags the span passes on (it stores them).
			if c.sameTrace && start.Traceparent != "00-"+trace+"-"+parent+"-"+c.flags {
				t.Errorf("StartSpan's parent %q", start.Traceparent)
			}
			if !c.sameTrace && start.Traceparent != "" {
				t.Errorf("StartSpan's parent %q, want a root", start.Traceparent)
			}
			// The server stores the random trace-id flag from random_trace_id where no traceparent gives it (a root).
			if start.RandomTraceId != (c.flags == "03") {
				t.Errorf("StartSpan's random_trace_id %v, want it with flags %s", start.RandomTraceId, c.flags)
			}
			if start.Tracestate != c.tracestate {
				t.Errorf("StartSpan's tracestate %q, want %q", start.Tracestate, c.tracestate)
			}
		})
	}
}
