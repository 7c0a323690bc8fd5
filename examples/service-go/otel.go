package main

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"github.com/traceledger/traceledger/examples/service-go/lifecycle"
)

// otelWork records one span with the stock OpenTelemetry SDK, in the same trace
// as the lifecycle span: the OTLP/gRPC exporter sends finished spans to
// traceledger's gRPC port, and the span's parent is the lifecycle span, named by
// its W3C traceparent through OpenTelemetry's own propagator. Each span is
// exported as it ends and the request waits for that (awaitedExporter), so the
// span reaches traceledger before the service answers; a batch exporter could
// send it after the trace completed, which traceledger refuses. The wait is
// bounded as the lifecycle calls' is, and skipped while exports fail.
type otelWork struct {
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer
}

// newOtelWork exports to endpoint, a URL such as http://127.0.0.1:7317 (http: plaintext).
func newOtelWork(ctx context.Context, serviceName, endpoint string) (*otelWork, error) {
	exporter, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(endpoint),
		// The exporter's default is 10 s per export, its retries included.
		otlptracegrpc.WithTimeout(lifecycle.DefaultTimeout),
		// grpc-go waits up to 2 minutes between reconnections by default: after an
		// outage, reconnect within a second of traceledger's return (as the lifecycle does).
		otlptracegrpc.WithDialOption(grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: 5 * time.Second,
		})))
	if err != nil {
		return nil, err
	}
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(newAwaitedExporter(exporter, lifecycle.DefaultTimeout)),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", serviceName))),
	)
	return &otelWork{provider: provider, tracer: provider.Tracer("traceledger.examples.service-go")}, nil
}

func (o *otelWork) prepare(ctx context.Context, traceparent, fail string) {
	parent := propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
	_, span := o.tracer.Start(parent, "prepare work", trace.WithAttributes(attribute.String("work.fail", fail)))
	span.End()
}

func (o *otelWork) shutdown(ctx context.Context) error { return o.provider.Shutdown(ctx) }
