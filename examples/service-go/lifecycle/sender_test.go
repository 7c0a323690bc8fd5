// The sender against a real grpc-go server that goes away and comes back on
// the same port, as a restarting traceledger does.
package lifecycle

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	tracev1 "github.com/traceledger/traceledger/examples/proto-go/src/gen/traceledger/v1"
	"github.com/traceledger/traceledger/examples/service-go/internal/standin"
)

func TestASpanStartedAndEndedDuringAShortOutageReachesTraceledgerOnceItIsBack(t *testing.T) {
	ledger := standin.Start(t, "127.0.0.1:0")
	ledger.Stop() // away: every call finds it UNAVAILABLE
	lc, err := New(ledger.Addr, "service-go")
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()

	began := time.Now()
	span := lc.StartSpan(context.Background(), "GET /work", http.Header{})
	lc.EndSpan(span, Outcome{})
	// The retries happen off the request path: it waited for the start's first try at most.
	if waited := time.Since(began); waited > time.Second {
		t.Fatalf("the request was held %v", waited)
	}

	time.Sleep(time.Second)
	ledger.Restart(t)
	calls := ledger.WaitFor(t, 10*time.Second, func(c []standin.Call) bool { return len(c) >= 2 })
	if got := ledger.Methods(); !slices.Equal(got, []string{"StartSpan", "EndSpan"}) {
		t.Fatalf("received %v", got)
	}
	if start := calls[0].Request.(*tracev1.StartSpanRequest); [8]byte(start.SpanId) != span.SpanID {
		t.Fatalf("started span %x, want %x", start.SpanId, span.SpanID)
	}
	if end := calls[1].Request.(*tracev1.EndSpanRequest); end.Traceparent != span.Traceparent() {
		t.Fatalf("ended %s, want %s", end.Traceparent, span.Traceparent())
	}
}

func TestBackoffDoublesUpToItsCapWithJitter(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 8, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for n, full := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		for range 50 {
			if d := p.backoff(n); d < full/2 || d > full {
				t.Fatalf("retry %d waits %v, want between %v and %v", n, d, full/2, full)
			}
		}
	}
}
