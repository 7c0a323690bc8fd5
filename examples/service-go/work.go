package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/traceledger/traceledger/examples/service-go/lifecycle"
)

// service answers GET /work: the polyglot example's contract (see README.md).
type service struct {
	name      string
	lifecycle *lifecycle.Lifecycle
	nextURL   string
	otel      *otelWork // nil unless OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set
	client    *http.Client
}

func newService(name string, lc *lifecycle.Lifecycle, nextURL string, otel *otelWork) *service {
	return &service{name: name, lifecycle: lc, nextURL: strings.TrimRight(nextURL, "/"), otel: otel, client: &http.Client{Timeout: 30 * time.Second}}
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/work" {
		answer(w, http.StatusNotFound, map[string]any{"error": "not found"})
		return
	}
	ctx := r.Context()
	fail := r.URL.Query().Get("fail")
	span := s.lifecycle.StartSpan(ctx, "GET /work", r.Header)
	s.lifecycle.AddEvent(span, "work.started", map[string]string{"fail": fail})
	if s.otel != nil {
		s.otel.prepare(ctx, span.Traceparent(), fail)
	}

	downstreamStatus, downstream := http.StatusOK, json.RawMessage("null")
	if s.nextURL != "" {
		downstreamStatus, downstream = s.callNext(ctx, fail, span)
	}
	// The caller hung up: the downstream call was cut short by that, not failed,
	// so the span ends cancelled rather than with a downstream error (as the
	// gateway's SDK ends the span of a request its client aborted).
	cancelled := ctx.Err() != nil

	switch {
	case fail == s.name:
		s.lifecycle.RecordError(span, "WorkFailed", s.name+" was asked to fail")
		s.lifecycle.EndSpan(span, lifecycle.Outcome{Error: s.name + " failed", Cancelled: cancelled})
		answer(w, http.StatusInternalServerError, map[string]any{"service": s.name, "status": 500})
	case cancelled:
		s.lifecycle.EndSpan(span, lifecycle.Outcome{Cancelled: true})
		// Nobody reads the answer; the status is what a log would show.
		answer(w, http.StatusBadGateway, map[string]any{"service": s.name, "status": 502})
	case downstreamStatus >= 500:
		s.lifecycle.EndSpan(span, lifecycle.Outcome{Error: fmt.Sprintf("downstream failed: %d", downstreamStatus)})
		answer(w, http.StatusBadGateway, map[string]any{"service": s.name, "status": 502})
	default:
		s.lifecycle.EndSpan(span, lifecycle.Outcome{})
		answer(w, http.StatusOK, map[string]any{"service": s.name, "traceparent": span.Traceparent(), "downstream": downstream})
	}
}

// callNext calls the next service with this span as the parent; a call that
// fails to connect counts as 502.
func (s *service) callNext(ctx context.Context, fail string, span *lifecycle.Span) (int, json.RawMessage) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.nextURL+"/work?fail="+url.QueryEscape(fail), nil)
	if err != nil {
		return http.StatusBadGateway, json.RawMessage("null")
	}
	span.Inject(req.Header)
	res, err := s.client.Do(req)
	if err != nil {
		return http.StatusBadGateway, json.RawMessage("null")
	}
	defer res.Body.Close()
	var body json.RawMessage
	if res.StatusCode >= 300 || json.NewDecoder(res.Body).Decode(&body) != nil {
		body = json.RawMessage("null")
	}
	return res.StatusCode, body
}

func answer(w http.ResponseWriter, status int, body any) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
