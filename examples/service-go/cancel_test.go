// A caller that hangs up while the service waits on its downstream: the span
// must end cancelled, not as a downstream failure (the gateway's SDK ends the
// span of an aborted request with end reason CANCELLED and leaves the status unset).
package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	tracev1 "github.com/traceledger/traceledger/examples/proto-go/src/gen/traceledger/v1"
	"github.com/traceledger/traceledger/examples/service-go/internal/standin"
	"github.com/traceledger/traceledger/examples/service-go/lifecycle"
)

func TestACallerThatHangsUpEndsTheSpanCancelledNotFailed(t *testing.T) {
	ledger := standin.Start(t, "127.0.0.1:0")
	reached := make(chan struct{})
	var once sync.Once
	// The next service answers only once its own caller (the service) has gone.
	next := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(reached) })
		<-r.Context().Done()
	}))
	defer next.Close()
	service := startService(t, "service-go", next.URL, ledger.Addr, lifecycle.DefaultRetry)

	ctx, hangUp := context.WithCancel(context.Background())
	go func() { <-reached; hangUp() }()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, service.URL+"/work", nil)
	req.Header.Set("traceparent", incoming)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("the request was answered %d; want it abandoned", res.StatusCode)
	}

	calls := ledger.WaitFor(t, 5*time.Second, func(c []standin.Call) bool { return len(c) > 0 && c[len(c)-1].Method == "EndSpan" })
	end := calls[len(calls)-1].Request.(*tracev1.EndSpanRequest)
	if end.EndReason != tracev1.SpanEndReason_SPAN_END_REASON_CANCELLED || end.GetStatus().GetCode() != tracev1.StatusCode_STATUS_CODE_UNSPECIFIED {
		t.Fatalf("ended with reason %v and status %v; want CANCELLED with the status unset", end.EndReason, end.Status)
	}
	for _, c := range calls {
		if c.Method == "RecordError" {
			t.Fatalf("an error was recorded: %v", c.Request)
		}
	}
}
