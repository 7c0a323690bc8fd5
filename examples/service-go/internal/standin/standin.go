// Package standin is a stand-in traceledger for the tests: a real grpc-go
// server on loopback that records the span calls it receives. The real server
// is exercised across the four languages by examples/polyglot-e2e; this one
// lets the service's own tests see exactly what was sent, and go away and come
// back on the same port, as a restarting traceledger does.
package standin

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	tracev1 "github.com/traceledger/traceledger/examples/proto-go/src/gen/traceledger/v1"
)

// Call is one call received: its method and request.
type Call struct {
	Method  string
	Request proto.Message
}

// Traceledger records calls; Start and Stop may be repeated on one address.
type Traceledger struct {
	tracev1.UnimplementedTracingServiceServer
	Addr   string
	mu     sync.Mutex
	calls  []Call
	server *grpc.Server
}

// Start listens on addr ("127.0.0.1:0" picks a port, kept for later Starts).
func Start(t testing.TB, addr string) *Traceledger {
	s := &Traceledger{Addr: addr}
	s.Restart(t)
	t.Cleanup(s.Stop)
	return s
}

// Restart serves again on the same address, after Stop.
func (s *Traceledger) Restart(t testing.TB) {
	l, err := net.Listen("tcp", s.Addr)
	if err != nil {
		t.Fatalf("stand-in traceledger: %v", err)
	}
	s.Addr = l.Addr().String()
	server := grpc.NewServer()
	tracev1.RegisterTracingServiceServer(server, s)
	s.mu.Lock()
	s.server = server
	s.mu.Unlock()
	go server.Serve(l)
}

// Stop closes the port and every connection: calls now find it UNAVAILABLE.
func (s *Traceledger) Stop() {
	s.mu.Lock()
	server := s.server
	s.server = nil
	s.mu.Unlock()
	if server != nil {
		server.Stop()
	}
}

// Calls is what was received so far, in order.
func (s *Traceledger) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Methods names the calls received so far.
func (s *Traceledger) Methods() []string {
	var names []string
	for _, c := range s.Calls() {
		names = append(names, c.Method)
	}
	return names
}

// WaitFor polls until ok holds for the calls received, or fails the test after within.
func (s *Traceledger) WaitFor(t testing.TB, within time.Duration, ok func([]Call) bool) []Call {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		calls := s.Calls()
		if ok(calls) {
			return calls
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the stand-in traceledger has %v", within, s.Methods())
		}
	}
}

func (s *Traceledger) record(method string, req proto.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{method, req})
}

func (s *Traceledger) StartSpan(_ context.Context, r *tracev1.StartSpanRequest) (*tracev1.StartSpanResponse, error) {
	s.record("StartSpan", r)
	return &tracev1.StartSpanResponse{TraceId: r.TraceId, SpanId: r.SpanId}, nil
}

func (s *Traceledger) AddSpanEvent(_ context.Context, r *tracev1.AddSpanEventRequest) (*tracev1.AddSpanEventResponse, error) {
	s.record("AddSpanEvent", r)
	return &tracev1.AddSpanEventResponse{}, nil
}

func (s *Traceledger) RecordError(_ context.Context, r *tracev1.RecordErrorRequest) (*tracev1.RecordErrorResponse, error) {
	s.record("RecordError", r)
	return &tracev1.RecordErrorResponse{}, nil
}

func (s *Traceledger) EndSpan(_ context.Context, r *tracev1.EndSpanRequest) (*tracev1.EndSpanResponse, error) {
	s.record("EndSpan", r)
	return &tracev1.EndSpanResponse{}, nil
}
