// A Go service in the polyglot example chain (see README.md for the contract):
// GET /work continues the caller's trace with StartSpan, records an event,
// calls NEXT_URL with its own span's traceparent, and ends its span OK, or
// ERROR when asked to fail or when the downstream failed. Configured by PORT,
// TRACELEDGER_GRPC, NEXT_URL, SERVICE_NAME and TRACING_SAMPLE_RATE (a bad value
// stops it at start-up, exit status 1); with
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set it also records one span with the stock
// OpenTelemetry SDK.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/traceledger/traceledger/examples/service-go/lifecycle"
)

func main() {
	log.SetOutput(os.Stderr) // stdout carries only the {"listening":port} line
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	name := env("SERVICE_NAME", "service-go")
	rate, err := lifecycle.ParseSampleRate(os.Getenv("TRACING_SAMPLE_RATE"))
	if err != nil {
		log.Fatalf("invalid configuration: %v", err)
	}
	lc, err := lifecycle.New(env("TRACELEDGER_GRPC", "127.0.0.1:7317"), name)
	if err != nil {
		log.Fatalf("traceledger client: %v", err)
	}
	defer lc.Close()
	lc.SetSampleRate(rate)
	var otel *otelWork
	if endpoint := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); endpoint != "" {
		if otel, err = newOtelWork(ctx, name, endpoint); err != nil {
			log.Fatalf("OpenTelemetry exporter: %v", err)
		}
		defer func() {
			// Bounded: an OTLP endpoint that is away must not keep a stopping service alive.
			drain, cancel := context.WithTimeout(context.Background(), lifecycle.DrainTimeout)
			defer cancel()
			otel.shutdown(drain)
		}()
	}

	listener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", env("PORT", "0")))
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	// Connected first: a first request over a connection still being set up could
	// miss its start's deadline, and lose its span.
	if !lc.AwaitConnection(ctx, lifecycle.ConnectWait) {
		log.Printf("traceledger: not connected at start-up (away, or slower than %v)", lifecycle.ConnectWait)
	}
	line, _ := json.Marshal(map[string]int{"listening": listener.Addr().(*net.TCPAddr).Port})
	os.Stdout.Write(append(line, '\n'))

	server := &http.Server{Handler: newService(name, lc, os.Getenv("NEXT_URL"), otel), ReadHeaderTimeout: 10 * time.Second}
	if err := serve(ctx, server, listener, 10*time.Second); err != nil {
		log.Printf("serve: %v", err)
		os.Exit(1)
	}
}

// serve runs server until ctx is done, then stops accepting and waits up to
// grace for the running requests, so they answer and end their spans before
// the deferred closes run. Serve returns as soon as Shutdown begins, which is
// why it is Shutdown that is waited for.
func serve(ctx context.Context, server *http.Server, listener net.Listener, grace time.Duration) error {
	stopped := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		stopped <- server.Shutdown(shutdown)
	}()
	if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-stopped
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
