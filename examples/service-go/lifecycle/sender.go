package lifecycle

import (
	"context"
	"log"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// RetryPolicy bounds the retries of a call that found traceledger UNAVAILABLE
// (down, restarting, or not reachable yet). Only UNAVAILABLE is retried: it
// says the call was not processed, and StartSpan and EndSpan name their span by
// client-chosen ids, so a retry of one that did arrive is recognised anyway.
// A deadline is not retried: a traceledger that does not answer would hold the
// sender for every retry.
type RetryPolicy struct {
	MaxAttempts    int           // tries in all, the first included
	InitialBackoff time.Duration // before the first retry
	MaxBackoff     time.Duration // the cap of the doubling
}

// DefaultRetry rides out an outage of a few seconds: the waits add up to
// between 3.5 s and 7.1 s.
var DefaultRetry = RetryPolicy{MaxAttempts: 8, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second}

// backoff is the wait before retry number n (1 for the first): between half and
// all of the capped exponential delay, so that services recovering from the
// same outage do not retry in lock-step.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.InitialBackoff << (n - 1)
	if d > p.MaxBackoff || d <= 0 {
		d = p.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// queueSize bounds what waits to be sent while traceledger is slow or away;
// calls beyond it are dropped (and logged) rather than held in memory.
const queueSize = 10_000

// call is one RPC to make. tried, when not nil, is closed once the first
// attempt is over (whatever its outcome), or when the call is dropped.
type call struct {
	method string
	do     func(context.Context) error
	tried  chan struct{}
}

// sender makes the span calls off the request path, one at a time and in the
// order they were made, so a span's start always precedes its end, and retries
// them (see RetryPolicy) without holding up any request.
type sender struct {
	timeout time.Duration
	retry   RetryPolicy
	queue   chan call
	done    chan struct{}
	mu      sync.Mutex // guards closed against a send on the closed queue
	closed  bool
	// responsive is false after a call got no answer (DEADLINE_EXCEEDED) or found
	// traceledger UNAVAILABLE, until a call gets an answer again. While it is
	// false no request waits for a start: a silent traceledger costs requests nothing.
	responsive atomic.Bool
}

func newSender(timeout time.Duration, retry RetryPolicy) *sender {
	s := &sender{timeout: timeout, retry: retry, queue: make(chan call, queueSize), done: make(chan struct{})}
	s.responsive.Store(true)
	go s.run()
	return s
}

// enqueue never blocks: a full queue or a closed sender drops the call.
func (s *sender) enqueue(c call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		select {
		case s.queue <- c:
			return
		default:
		}
	}
	log.Printf("traceledger: %s dropped: the queue is full or closed", c.method)
	if c.tried != nil {
		close(c.tried)
	}
}

func (s *sender) run() {
	defer close(s.done)
	for c := range s.queue {
		s.send(c)
	}
}

func (s *sender) send(c call) {
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		err := c.do(ctx)
		cancel()
		code := status.Code(err)
		s.responsive.Store(code != codes.DeadlineExceeded && code != codes.Unavailable)
		if attempt == 1 && c.tried != nil {
			close(c.tried)
		}
		if err == nil {
			return
		}
		if code != codes.Unavailable || attempt >= s.retry.MaxAttempts {
			log.Printf("traceledger: %s failed (attempt %d): %v", c.method, attempt, err)
			return
		}
		time.Sleep(s.retry.backoff(attempt))
	}
}

// close stops taking calls and waits up to grace for the queued ones; it
// reports whether they were all sent (or given up) in time.
func (s *sender) close(grace time.Duration) bool {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
	s.mu.Unlock()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-s.done:
		return true
	case <-timer.C:
		return false
	}
}
