// Package lifecycle is the whole of what a Go service needs to report its spans
// to traceledger. Not an SDK: the stock grpc-go client, the stubs generated from
// proto/ (examples/proto-go) and W3C traceparent parsing and formatting.
//
// StartSpan continues the caller's traceparent, AddEvent and RecordError act on
// the running span, EndSpan gives the outcome. Span ids are chosen here, not by
// the server, so a retried call is recognised and the outgoing traceparent is
// known even when traceledger cannot be reached: tracing problems are logged and
// never fail the request. Each call waits at most DefaultTimeout, so a
// traceledger that does not answer adds at most that much per call to a request.
package lifecycle

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	tracev1 "github.com/traceledger/traceledger/examples/proto-go/src/gen/traceledger/v1"
)

// DefaultTimeout is short: every call runs on the request path, and a slow
// traceledger must not slow the host's requests.
const DefaultTimeout = 500 * time.Millisecond

// Lifecycle makes the span calls over one gRPC connection (plaintext h2c).
type Lifecycle struct {
	conn    *grpc.ClientConn
	client  tracev1.TracingServiceClient
	service string
	timeout time.Duration
}

// New connects lazily to traceledger's gRPC door at target ("host:port").
func New(target, serviceName string) (*Lifecycle, error) {
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	return &Lifecycle{conn: conn, client: tracev1.NewTracingServiceClient(conn), service: serviceName, timeout: DefaultTimeout}, nil
}

// StartSpan starts a SERVER span as the child of traceparent (a root span when
// it is missing or invalid) and returns it.
func (l *Lifecycle) StartSpan(ctx context.Context, name, traceparent, tracestate string) SpanRef {
	parent, hasParent := ParseTraceparent(traceparent)
	span := SpanRef{Flags: Sampled}
	rand.Read(span.SpanID[:])
	req := &tracev1.StartSpanRequest{Name: name, Kind: tracev1.SpanKind_SPAN_KIND_SERVER, ServiceName: l.service}
	if hasParent {
		span.TraceID, span.Flags = parent.TraceID, parent.Flags
		// Sets the parent; a parent this trace does not know yet is recorded as remote.
		req.Traceparent, req.Tracestate = parent.Traceparent(), tracestate
	} else {
		rand.Read(span.TraceID[:])
	}
	req.TraceId, req.SpanId = span.TraceID[:], span.SpanID[:]
	l.call(ctx, "StartSpan", func(ctx context.Context) error { _, err := l.client.StartSpan(ctx, req); return err })
	return span
}

// AddEvent records a named event with string attributes on the running span.
func (l *Lifecycle) AddEvent(ctx context.Context, span SpanRef, name string, attributes map[string]string) {
	req := &tracev1.AddSpanEventRequest{Traceparent: span.Traceparent(), EventId: randomID(), Name: name}
	for k, v := range attributes {
		req.Attributes = append(req.Attributes, &tracev1.KeyValue{Key: k, Value: &tracev1.AnyValue{Value: &tracev1.AnyValue_StringValue{StringValue: v}}})
	}
	l.call(ctx, "AddSpanEvent", func(ctx context.Context) error { _, err := l.client.AddSpanEvent(ctx, req); return err })
}

// RecordError records an error (its type and message) on the running span.
func (l *Lifecycle) RecordError(ctx context.Context, span SpanRef, errorType, message string) {
	req := &tracev1.RecordErrorRequest{Traceparent: span.Traceparent(), ErrorId: randomID(), ErrorType: errorType, Message: message}
	l.call(ctx, "RecordError", func(ctx context.Context) error { _, err := l.client.RecordError(ctx, req); return err })
}

// EndSpan ends the span with status OK, or ERROR with errorMessage when it is not empty.
func (l *Lifecycle) EndSpan(ctx context.Context, span SpanRef, errorMessage string) {
	status := &tracev1.Status{Code: tracev1.StatusCode_STATUS_CODE_OK}
	if errorMessage != "" {
		status = &tracev1.Status{Code: tracev1.StatusCode_STATUS_CODE_ERROR, Message: errorMessage}
	}
	req := &tracev1.EndSpanRequest{Traceparent: span.Traceparent(), Status: status}
	l.call(ctx, "EndSpan", func(ctx context.Context) error { _, err := l.client.EndSpan(ctx, req); return err })
}

// Close closes the connection.
func (l *Lifecycle) Close() error { return l.conn.Close() }

func (l *Lifecycle) call(ctx context.Context, method string, do func(context.Context) error) {
	// The span must end even when the request that runs it is cancelled.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.timeout)
	defer cancel()
	if err := do(ctx); err != nil {
		log.Printf("traceledger: %s failed: %v", method, err)
	}
}

func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
