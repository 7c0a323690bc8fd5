// The HTTP side of the contract, with real HTTP servers on loopback and a
// traceledger address where nothing listens: tracing that cannot reach its
// server must never change a request's answer. The spans themselves are checked
// against a real traceledger in examples/polyglot-e2e.
package main

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/traceledger/traceledger/examples/service-go/lifecycle"
)

// The helper logs every call that cannot reach traceledger; here that is every call.
// Run with SERVICE_GO_TEST_MAIN=1, the test binary is the service itself (see launch).
func TestMain(m *testing.M) {
	if os.Getenv("SERVICE_GO_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	log.SetOutput(io.Discard)
	os.Exit(m.Run())
}

const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// noRetry keeps tests against a dead or silent traceledger from retrying.
var noRetry = lifecycle.RetryPolicy{MaxAttempts: 1}

// unreachable is a loopback address that refuses connections.
func unreachable(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// startService runs the service on loopback, reporting to the traceledger at target.
func startService(t *testing.T, name, next, target string, retry lifecycle.RetryPolicy) *httptest.Server {
	return startServiceWith(t, name, next, target, retry, nil)
}

// startServiceWithOtel also records the OpenTelemetry span with otel.
func startServiceWithOtel(t *testing.T, name, next, target string, otel *otelWork) *httptest.Server {
	return startServiceWith(t, name, next, target, noRetry, otel)
}

func startServiceWith(t *testing.T, name, next, target string, retry lifecycle.RetryPolicy, otel *otelWork) *httptest.Server {
	lc, err := lifecycle.NewWithRetry(target, name, retry)
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(newService(name, lc, next, otel))
	t.Cleanup(func() {
		server.Close()
		lc.CloseWithin(0)
	})
	return server
}

func start(t *testing.T, name, next string) *httptest.Server {
	return startService(t, name, next, unreachable(t), noRetry)
}

// headers builds request headers from name, value pairs; a name may repeat.
func headers(pairs ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(pairs); i += 2 {
		h.Add(pairs[i], pairs[i+1])
	}
	return h
}

func get(t *testing.T, url string) (int, map[string]any) {
	return getWith(t, url, headers("traceparent", incoming, "tracestate", "vendor=abc"))
}

func getWith(t *testing.T, url string, h http.Header) (int, map[string]any) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header = h
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("answer %q is not JSON: %v", raw, err)
	}
	return res.StatusCode, body
}

func TestForwardsItsOwnSpanAsTheParentAndNestsTheDownstreamAnswer(t *testing.T) {
	var gotTraceparent, gotTracestate, gotQuery string
	next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotTraceparent, gotTracestate, gotQuery = r.Header.Get("traceparent"), r.Header.Get("tracestate"), r.URL.RawQuery
		w.Write([]byte(`{"service":"next"}`))
	}))
	defer next.Close()

	status, body := get(t, start(t, "service-go", next.URL).URL+"/work?fail=some%20one")
	if status != http.StatusOK {
		t.Fatalf("status %d, body %v", status, body)
	}
	own, ok := lifecycle.ParseTraceparent(body["traceparent"].(string))
	if !ok || !strings.HasPrefix(body["traceparent"].(string), incoming[:36]) || own.Traceparent() == incoming {
		t.Fatalf("answered traceparent %v: want a new span in the caller's trace", body["traceparent"])
	}
	if gotTraceparent != body["traceparent"] || gotTracestate != "vendor=abc" || gotQuery != "fail=some+one" {
		t.Fatalf("downstream got traceparent %q tracestate %q query %q", gotTraceparent, gotTracestate, gotQuery)
	}
	if downstream, _ := body["downstream"].(map[string]any); downstream["service"] != "next" {
		t.Fatalf("downstream answer not nested: %v", body)
	}
}

func TestFailsWith500WhenAskedAnd502WhenTheDownstreamFailed(t *testing.T) {
	next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer next.Close()

	if status, _ := get(t, start(t, "service-go", "").URL+"/work?fail=service-go"); status != http.StatusInternalServerError {
		t.Fatalf("asked to fail: status %d, want 500", status)
	}
	if status, _ := get(t, start(t, "service-go", next.URL).URL+"/work"); status != http.StatusBadGateway {
		t.Fatalf("downstream 500: status %d, want 502", status)
	}
	if status, body := get(t, start(t, "service-go", "").URL+"/work?fail=service-java"); status != http.StatusOK || body["downstream"] != nil {
		t.Fatalf("another service's failure: status %d body %v, want 200 without downstream", status, body)
	}
}
