// Start-up against a traceledger slow to connect, and one that is away: the
// service's own process (see TestMain) says it is listening once its
// connection is set up, and without waiting when there is none to be had.
package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/traceledger/traceledger/examples/service-go/internal/standin"
)

// slowProxy passes connections on to upstream, each one held for hold first: a
// first connection slower than a call's deadline, as on a busy machine.
func slowProxy(t *testing.T, upstream string, hold time.Duration) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer client.Close()
				time.Sleep(hold)
				server, err := net.Dial("tcp", upstream)
				if err != nil {
					return
				}
				defer server.Close()
				go func() { io.Copy(server, client); server.Close() }()
				io.Copy(client, server)
			}()
		}
	}()
	return l.Addr().String()
}

// listeningPort reads the first stdout line, {"listening":port}.
func listeningPort(t *testing.T, line string, err error, stderr *bytes.Buffer) int {
	t.Helper()
	var listening struct{ Listening int }
	if err != nil || json.Unmarshal([]byte(line), &listening) != nil || listening.Listening == 0 {
		t.Fatalf("first stdout line %q (%v), stderr %s", line, err, stderr)
	}
	return listening.Listening
}

func TestASlowFirstConnectionToTraceledgerDoesNotLoseTheFirstSpan(t *testing.T) {
	ledger := standin.Start(t, "127.0.0.1:0")
	cmd, stdout, stderr := launch(t, "PORT=0", "TRACELEDGER_GRPC="+slowProxy(t, ledger.Addr, 2*time.Second))
	line, err := stdout.ReadString('\n')
	port := listeningPort(t, line, err, stderr)

	if status, body := get(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/work"); status != http.StatusOK {
		t.Fatalf("status %d, body %v", status, body)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v, stderr %s", err, stderr)
	}
	if got, want := ledger.Methods(), []string{"StartSpan", "AddSpanEvent", "EndSpan"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("the stand-in traceledger has %v, want %v; stderr %s", got, want, stderr)
	}
}

func TestWithTraceledgerAwayTheServiceStartsWithoutWaiting(t *testing.T) {
	began := time.Now()
	_, stdout, stderr := launch(t, "PORT=0", "TRACELEDGER_GRPC="+unreachable(t))
	line, err := stdout.ReadString('\n')
	listeningPort(t, line, err, stderr)
	took := time.Since(began)
	t.Logf("listening after %v", took)
	// A refused connection is a failure to connect, not one to wait out (ConnectWait is 3 s).
	if took > 1500*time.Millisecond {
		t.Fatalf("listening after %v with traceledger away, stderr %s", took, stderr)
	}
}
