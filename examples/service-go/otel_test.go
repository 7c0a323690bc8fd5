// The OpenTelemetry span against a stand-in OTLP/gRPC receiver: stored before
// the request answers while the receiver is up, and again once it is back.
package main

import (
	"context"
	"encoding/hex"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

// otlpReceiver records the span ids (hex) of every OTLP export it is sent.
type otlpReceiver struct {
	collectortrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []string
}

func (r *otlpReceiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				r.spans = append(r.spans, hex.EncodeToString(s.ParentSpanId))
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// has reports whether a span whose parent is the span parent (hex) arrived.
func (r *otlpReceiver) has(parent string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.spans {
		if p == parent {
			return true
		}
	}
	return false
}

// serveOTLP serves r on addr ("127.0.0.1:0" picks a port) until the test ends.
func serveOTLP(t *testing.T, addr string, r *otlpReceiver) string {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(server, r)
	go server.Serve(l)
	t.Cleanup(server.Stop)
	return l.Addr().String()
}

// work makes one request and answers the parent (hex) its OpenTelemetry span must have.
func work(t *testing.T, url string) string {
	status, body := get(t, url+"/work")
	if status != http.StatusOK {
		t.Fatalf("status %d, body %v", status, body)
	}
	return body["traceparent"].(string)[36:52]
}

func TestTheOpenTelemetrySpanIsStoredBeforeTheAnswerAgainOnceTheEndpointIsBack(t *testing.T) {
	receiver := &otlpReceiver{}
	endpoint := unreachable(t)
	otel, err := newOtelWork(context.Background(), "service-go", "http://"+endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { otel.shutdown(canceled()) })
	server := startServiceWithOtel(t, "service-go", "", unreachable(t), otel)

	work(t, server.URL) // away: the export fails, the next requests no longer wait
	serveOTLP(t, endpoint, receiver)
	// Back: the requests do not wait until an export (in the background) succeeds.
	deadline := time.Now().Add(5 * time.Second)
	for parent := work(t, server.URL); !receiver.has(parent); parent = work(t, server.URL) {
		if time.Now().After(deadline) {
			t.Fatal("no export succeeded within 5 s of the endpoint's return")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Then each request waits for its own span again.
	for i := 0; i < 3; i++ {
		if parent := work(t, server.URL); !receiver.has(parent) {
			t.Fatalf("request %d answered before its span was exported", i+1)
		}
	}
}
