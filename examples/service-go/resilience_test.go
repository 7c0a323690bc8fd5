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

func TestATraceledgerThatNeverAnswersBarelySlowsARequest(t *testing.T) {
	lc, err := lifecycle.New(blackhole(t), "service-go")
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	server := httptest.NewServer(newService("service-go", lc, "", nil))
	defer server.Close()

	began := time.Now()
	if status, body := get(t, server.URL+"/work"); status != http.StatusOK {
		t.Fatalf("status %d, body %v", status, body)
	}
	// StartSpan, AddSpanEvent and EndSpan each give up after their short deadline.
	if elapsed := time.Since(began); elapsed > 2500*time.Millisecond {
		t.Fatalf("the request took %v", elapsed)
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
