package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// exportQueueSize bounds the spans waiting to be exported while traceledger is
// slow or away; more are dropped rather than held in memory.
const exportQueueSize = 10_000

var errExportDropped = errors.New("OpenTelemetry span dropped: the export queue is full or closed")

// awaitedExporter exports in the background, one export at a time, each bounded
// by wait, and lets the request that ended the span wait for its export at most
// wait, so that the span is stored before the service answers. As the lifecycle
// sender does: after an export failed or was not waited out, no request waits
// until an export succeeds again, so an OTLP endpoint that is away or silent
// costs the requests of an outage nothing (the exports still run, and the first
// one to succeed ends it).
type awaitedExporter struct {
	exporter sdktrace.SpanExporter
	wait     time.Duration
	queue    chan awaitedExport
	done     chan struct{}
	mu       sync.Mutex // guards closed against a send on the closed queue
	closed   bool
	// responsive is false from a failed or unawaited export until one succeeds.
	responsive atomic.Bool
}

type awaitedExport struct {
	spans    []sdktrace.ReadOnlySpan
	exported chan struct{} // closed once the export is over, whatever its outcome
}

func newAwaitedExporter(exporter sdktrace.SpanExporter, wait time.Duration) *awaitedExporter {
	e := &awaitedExporter{exporter: exporter, wait: wait, queue: make(chan awaitedExport, exportQueueSize), done: make(chan struct{})}
	e.responsive.Store(true)
	go e.run()
	return e
}

// ExportSpans is called by the span processor as a span ends, on the request's goroutine.
func (e *awaitedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	x := awaitedExport{spans: spans, exported: make(chan struct{})}
	if !e.enqueue(x) {
		return errExportDropped
	}
	if !e.responsive.Load() {
		return nil
	}
	timer := time.NewTimer(e.wait)
	defer timer.Stop()
	select {
	case <-x.exported:
	case <-timer.C:
		// Not exported within the budget: the next requests must not wait.
		e.responsive.Store(false)
	case <-ctx.Done():
	}
	return nil
}

func (e *awaitedExporter) enqueue(x awaitedExport) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	select {
	case e.queue <- x:
		return true
	default:
		return false
	}
}

func (e *awaitedExporter) run() {
	defer close(e.done)
	for x := range e.queue {
		ctx, cancel := context.WithTimeout(context.Background(), e.wait)
		err := e.exporter.ExportSpans(ctx, x.spans)
		cancel()
		// Before the waiting request is let go: the next one must already know whether to wait.
		e.responsive.Store(err == nil)
		close(x.exported)
		if err != nil {
			otel.Handle(err)
		}
	}
}

// Shutdown exports what is queued, within ctx, and shuts the exporter down.
func (e *awaitedExporter) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	if !e.closed {
		e.closed = true
		close(e.queue)
	}
	e.mu.Unlock()
	select {
	case <-e.done:
	case <-ctx.Done():
	}
	return e.exporter.Shutdown(ctx)
}
