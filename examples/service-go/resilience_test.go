// What a traceledger that never answers and a stop signal must not do to a
// request: slow it much, or cut it off before it answers.
package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/traceledger/traceledger/examples/service-go/lifecycle"
)

// blackhole is a loopback address that accepts TCP connections and never says a word.
func blackhole(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never read
		}
	}()
	t.Cleanup(func() { l.Close() })
	return l.Addr().String()
}

// Before the sender, every call waited out its 500 ms deadline on the request
// path: 2 s for a request that starts, records an event and an error, and ends.
// Now only a start is waited for, and only while traceledger is answering: the
// first request finds out that it is not, the next ones do not wait at all.
func TestATraceledgerThatNeverAnswersCostsOnlyTheFirstRequestOneStartsWait(t *testing.T) {
	next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{}`)) }))
	defer next.Close()
	server := startService(t, "service-go", next.URL, blackhole(t), noRetry)

	var total time.Duration
	for i := 1; i <= 3; i++ {
		began := time.Now()
		if status, body := get(t, server.URL+"/work?fail=service-go"); status != http.StatusInternalServerError {
			t.Fatalf("status %d, body %v", status, body)
		}
		took := time.Since(began)
		total += took
		t.Logf("request %d took %v", i, took.Round(time.Millisecond))
	}
	if total > 2*lifecycle.DefaultTimeout+500*time.Millisecond {
		t.Fatalf("three requests took %v", total)
	}
}

func TestServeReturnsOnlyOnceTheRunningRequestHasAnswered(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered, answered := make(chan struct{}), make(chan struct{})
	server := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		time.Sleep(500 * time.Millisecond)
		w.Write([]byte(`{}`))
		close(answered)
	})}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, server, listener, 5*time.Second) }()
	go http.Get("http://" + listener.Addr().String() + "/work")

	<-entered
	stop()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	select {
	case <-answered:
	default:
		t.Fatal("serve returned while a request was still running")
	}
}

// An OTLP endpoint that refuses or never answers held every request for the
// exporter's 10 s timeout, for the whole outage. Now the first request waits at
// most a span call's budget for its export, and the next ones do not wait.
func TestAnOTLPEndpointThatIsAwayOrSilentCostsOnlyTheFirstRequestOneExportsWait(t *testing.T) {
	for name, endpoint := range map[string]string{"refused": unreachable(t), "silent": blackhole(t)} {
		t.Run(name, func(t *testing.T) {
			otel, err := newOtelWork(context.Background(), "service-go", "http://"+endpoint)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { otel.shutdown(canceled()) })
			server := startServiceWithOtel(t, "service-go", "", unreachable(t), otel)
			client := &http.Client{Timeout: 3 * time.Second}
			for i := 1; i <= 3; i++ {
				began := time.Now()
				res, err := client.Get(server.URL + "/work")
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				res.Body.Close()
				took := time.Since(began)
				t.Logf("request %d took %v", i, took.Round(time.Millisecond))
				if limit := map[bool]time.Duration{true: time.Second, false: 200 * time.Millisecond}[i == 1]; res.StatusCode != http.StatusOK || took > limit {
					t.Fatalf("request %d: status %d after %v", i, res.StatusCode, took)
				}
			}
		})
	}
}

// canceled is a done context: a shutdown that must not wait.
func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
