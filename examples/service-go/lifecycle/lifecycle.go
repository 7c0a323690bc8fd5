// Package lifecycle is the whole of what a Go service needs to report its spans
// to traceledger. Not an SDK: the stock grpc-go client, the stubs generated from
// proto/ (examples/proto-go) and W3C Trace Context parsing and formatting.
//
// StartSpan continues the caller's traceparent, AddEvent and RecordError act on
// the running span, EndSpan gives the outcome. Span ids are chosen here, not by
// the server, so a retried call is recognised and the outgoing traceparent is
// known even when traceledger cannot be reached. The calls are made by a
// background sender (sender.go), in order, retried while traceledger is
// UNAVAILABLE: tracing problems are logged and never fail or hold up a request.
// Only StartSpan is waited for, at most DefaultTimeout, so that the next
// service's span finds its parent already stored; a traceledger known to be
// silent is not waited for at all.
package lifecycle

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"

	tracev1 "github.com/traceledger/traceledger/examples/proto-go/src/gen/traceledger/v1"
)

// DefaultTimeout is each call's deadline, and the most a request waits for its
// span's start: short, because a slow traceledger must not slow the host.
const DefaultTimeout = 500 * time.Millisecond

// DrainTimeout is how long Close waits for the calls still queued: a stopping
// service ends its spans, but a traceledger that is away must not keep it alive.
const DrainTimeout = 5 * time.Second

// ConnectWait is the most a starting service waits for AwaitConnection: a first
// call made over a connection still being set up could miss its DefaultTimeout,
// and a start lost to a deadline is not retried (see RetryPolicy).
const ConnectWait = 3 * time.Second

// Lifecycle makes the span calls over one gRPC connection (plaintext h2c).
type Lifecycle struct {
	conn    *grpc.ClientConn
	client  tracev1.TracingServiceClient
	service string
	timeout time.Duration
	sender  *sender
	sampler Sampler
}

// New connects lazily to traceledger's gRPC door at target ("host:port").
func New(target, serviceName string) (*Lifecycle, error) {
	return NewWithRetry(target, serviceName, DefaultRetry)
}

// NewWithRetry is New with another retry policy.
func NewWithRetry(target, serviceName string, retry RetryPolicy) (*Lifecycle, error) {
	conn, err := grpc.NewClient(target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		// grpc-go waits up to 2 minutes between reconnections by default, far past the
		// retries: after an outage, reconnect within a second of traceledger's return.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: 5 * time.Second,
		}))
	if err != nil {
		return nil, err
	}
	return &Lifecycle{
		conn: conn, client: tracev1.NewTracingServiceClient(conn), service: serviceName,
		timeout: DefaultTimeout, sender: newSender(DefaultTimeout, retry), sampler: NewSampler(1),
	}, nil
}

// AwaitConnection connects now and waits until the connection is ready, or has
// failed (traceledger is away: the sender's retries cover that, so no waiting
// for it), or wait has passed, or ctx is done. It reports whether it is ready.
// A service calls it before it says it is listening: on a busy machine a cold
// connection took longer than a call's deadline, and the first span was lost.
func (l *Lifecycle) AwaitConnection(ctx context.Context, wait time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	l.conn.Connect()
	for {
		switch state := l.conn.GetState(); state {
		case connectivity.Ready:
			return true
		case connectivity.TransientFailure, connectivity.Shutdown:
			return false
		default:
			if !l.conn.WaitForStateChange(ctx, state) {
				return false
			}
		}
	}
}

// SetSampleRate sets the head sampling of the traces this service starts, 0..1
// (see Sampler; every one by default). Set it before the first StartSpan.
func (l *Lifecycle) SetSampleRate(rate float64) {
	l.sampler = NewSampler(rate)
}

// Span is a running span: its ids (sent downstream) and the caller's tracestate.
type Span struct {
	SpanRef
	// Tracestate is the caller's, its header lines combined; empty when it was
	// invalid or when the caller's traceparent was (it is then meaningless).
	Tracestate string
	// recorded is false in a trace the caller did not sample: no calls at all.
	recorded bool
}

// Inject sets the headers that make this span the parent of the next service's.
func (s *Span) Inject(h http.Header) {
	h.Set("traceparent", s.Traceparent())
	if s.Tracestate != "" {
		h.Set("tracestate", s.Tracestate)
	}
}

// StartSpan starts a SERVER span as the child of the caller's traceparent in
// incoming (a root span when it is missing, repeated or invalid). The caller's
// sampled flag is followed, as the gateway's SDK does: in a trace it did not
// sample, the span gets its own id and is propagated (flags 00) but not recorded.
// A new trace is sampled by its id at the sample rate (see Sampler), and
// likewise propagated unsampled and not recorded when it is not. The random
// trace-id flag (W3C Trace Context Level 2) is kept from the caller, and set on
// a new trace, whose id is all crypto-random: flags 03 sampled, 02 not.
func (l *Lifecycle) StartSpan(ctx context.Context, name string, incoming http.Header) *Span {
	var parent SpanRef
	hasParent := false
	if lines := incoming.Values("traceparent"); len(lines) == 1 {
		parent, hasParent = ParseTraceparent(lines[0])
	}
	// A new trace's id is 16 bytes from crypto/rand, so it has the random trace-id flag.
	span := &Span{SpanRef: SpanRef{Flags: Sampled | RandomTraceID}, recorded: true}
	rand.Read(span.SpanID[:])
	if !hasParent {
		rand.Read(span.TraceID[:])
		if !l.sampler.Sample(span.TraceID) {
			// Still random: the flag says how the id was picked, not whether it is recorded.
			span.Flags, span.recorded = RandomTraceID, false
		}
	} else {
		// The caller's sampled and random trace-id flags are passed on unchanged (the
		// random one belongs to the trace, whoever picked its id); W3C has the
		// reserved ones sent as zero.
		span.TraceID, span.Flags = parent.TraceID, parent.Flags&(Sampled|RandomTraceID)
		span.Tracestate = Tracestate(incoming.Values("tracestate"))
		span.recorded = parent.Flags&Sampled != 0
	}
	if !span.recorded {
		return span
	}
	req := &tracev1.StartSpanRequest{
		TraceId: span.TraceID[:], SpanId: span.SpanID[:], Name: name,
		Kind: tracev1.SpanKind_SPAN_KIND_SERVER, ServiceName: l.service,
		// The server stores the flag with the span. It reads this only where no traceparent and
		// no parent span in the trace give the flags: here, a root span; with a parent, the
		// traceparent below carries the same flags, so setting it too is harmless.
		RandomTraceId: span.Flags&RandomTraceID != 0,
	}
	if hasParent {
		// Sets the parent; a parent this trace does not know yet is recorded as remote. With the
		// flags this span passes on: traceledger stores the span with the parent's flags.
		req.Traceparent, req.Tracestate = SpanRef{TraceID: parent.TraceID, SpanID: parent.SpanID, Flags: span.Flags}.Traceparent(), span.Tracestate
	}
	tried := make(chan struct{})
	l.sender.enqueue(call{method: "StartSpan", tried: tried, do: func(ctx context.Context) error {
		_, err := l.client.StartSpan(ctx, req)
		return err
	}})
	if l.sender.responsive.Load() {
		timer := time.NewTimer(l.timeout)
		defer timer.Stop()
		select {
		case <-tried:
		case <-timer.C:
			// No answer within the budget is the sign of a silent traceledger: the next requests must not wait.
			l.sender.responsive.Store(false)
		case <-ctx.Done():
		}
	}
	return span
}

// AddEvent records a named event with string attributes on the running span.
func (l *Lifecycle) AddEvent(span *Span, name string, attributes map[string]string) {
	if !span.recorded {
		return
	}
	req := &tracev1.AddSpanEventRequest{Traceparent: span.Traceparent(), EventId: randomID(), Name: name}
	for k, v := range attributes {
		req.Attributes = append(req.Attributes, &tracev1.KeyValue{Key: k, Value: &tracev1.AnyValue{Value: &tracev1.AnyValue_StringValue{StringValue: v}}})
	}
	l.sender.enqueue(call{method: "AddSpanEvent", do: func(ctx context.Context) error { _, err := l.client.AddSpanEvent(ctx, req); return err }})
}

// RecordError records an error (its type and message) on the running span.
func (l *Lifecycle) RecordError(span *Span, errorType, message string) {
	if !span.recorded {
		return
	}
	req := &tracev1.RecordErrorRequest{Traceparent: span.Traceparent(), ErrorId: randomID(), ErrorType: errorType, Message: message}
	l.sender.enqueue(call{method: "RecordError", do: func(ctx context.Context) error { _, err := l.client.RecordError(ctx, req); return err }})
}

// Outcome is how a span ended.
type Outcome struct {
	// Error, when not empty, makes the status ERROR with this message.
	Error string
	// Cancelled says the operation was abandoned: its caller hung up. Without
	// Error the status is then left unset, as the gateway's SDK does for a client
	// that aborted: the span did not fail, it was cut short.
	Cancelled bool
}

// EndSpan ends the span: status ERROR with outcome.Error, unset when only
// cancelled, OK otherwise.
func (l *Lifecycle) EndSpan(span *Span, outcome Outcome) {
	if !span.recorded {
		return
	}
	req := &tracev1.EndSpanRequest{Traceparent: span.Traceparent()}
	switch {
	case outcome.Error != "":
		req.Status = &tracev1.Status{Code: tracev1.StatusCode_STATUS_CODE_ERROR, Message: outcome.Error}
	case !outcome.Cancelled:
		req.Status = &tracev1.Status{Code: tracev1.StatusCode_STATUS_CODE_OK}
	}
	if outcome.Cancelled {
		req.EndReason = tracev1.SpanEndReason_SPAN_END_REASON_CANCELLED
	}
	l.sender.enqueue(call{method: "EndSpan", do: func(ctx context.Context) error { _, err := l.client.EndSpan(ctx, req); return err }})
}

// Close sends what is still queued, waiting at most DrainTimeout, and closes
// the connection.
func (l *Lifecycle) Close() error { return l.CloseWithin(DrainTimeout) }

// CloseWithin is Close waiting at most grace for the queued calls.
func (l *Lifecycle) CloseWithin(grace time.Duration) error {
	l.sender.close(grace)
	return l.conn.Close()
}

func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
