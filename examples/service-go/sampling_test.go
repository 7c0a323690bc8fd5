// TRACING_SAMPLE_RATE as the service reads it at start-up: the service's own
// process (this test binary running main, see TestMain), a stand-in traceledger
// and a next service on loopback. The decisions themselves are checked against
// the gateway's SDK in lifecycle/sampler_test.go.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/traceledger/traceledger/examples/service-go/internal/standin"
)

// launch starts the service in a process of its own with these settings (and no others).
func launch(t *testing.T, env ...string) (*exec.Cmd, *bufio.Reader, *bytes.Buffer) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append([]string{"SERVICE_GO_TEST_MAIN=1", "PATH=" + os.Getenv("PATH")}, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewReader(stdout), &stderr
}

func TestAtSampleRateZeroARequestWithoutTraceparentIsPropagatedUnsampledAndNotRecorded(t *testing.T) {
	ledger := standin.Start(t, "127.0.0.1:0")
	next, seen := calledWith(t)
	cmd, stdout, stderr := launch(t, "PORT=0", "TRACELEDGER_GRPC="+ledger.Addr, "NEXT_URL="+next.URL, "TRACING_SAMPLE_RATE=0")
	line, err := stdout.ReadString('\n')
	var listening struct{ Listening int }
	if err != nil || json.Unmarshal([]byte(line), &listening) != nil || listening.Listening == 0 {
		t.Fatalf("first stdout line %q (%v), stderr %s", line, err, stderr)
	}
	url := "http://127.0.0.1:" + strconv.Itoa(listening.Listening) + "/work"

	status, body := getWith(t, url, http.Header{})
	sent := seen().Get("traceparent")
	if status != http.StatusOK || body["traceparent"] != sent || !strings.HasSuffix(sent, "-02") || len(sent) != 55 {
		t.Fatalf("status %d, body %v; the next service got traceparent %q: want a new trace with flags 02 (unsampled, random trace id)", status, body, sent)
	}
	// A sampled caller still wins over the rate: its trace is recorded.
	if status, body := getWith(t, url, headers("traceparent", incoming)); status != http.StatusOK || !strings.HasSuffix(seen().Get("traceparent"), "-01") {
		t.Fatalf("with a sampled caller: status %d, body %v, sent on %q", status, body, seen().Get("traceparent"))
	}

	// On SIGTERM the service sends every call still queued before it exits: what
	// traceledger has then is all it will ever get.
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v, stderr %s", err, stderr)
	}
	calls := ledger.Calls()
	if len(calls) == 0 {
		t.Fatal("the sampled caller's span was not recorded either")
	}
	for _, c := range calls {
		if traceOf(c) != incoming[3:35] {
			t.Errorf("the unsampled new trace reached traceledger: %s %v", c.Method, c.Request)
		}
	}
}

func TestABadSampleRateIsRefusedAtStartUp(t *testing.T) {
	for _, rate := range []string{"half", "1.5", "-0.1", "5e-1"} {
		cmd, stdout, stderr := launch(t, "PORT=0", "TRACELEDGER_GRPC="+unreachable(t), "TRACING_SAMPLE_RATE="+rate)
		line, _ := stdout.ReadString('\n')
		if line != "" {
			cmd.Process.Kill() // it started: do not wait for a SIGTERM
		}
		err := cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 || line != "" {
			t.Errorf("TRACING_SAMPLE_RATE=%s: exit %v, stdout %q: want a non-zero exit before listening", rate, err, line)
		}
		if want := `TRACING_SAMPLE_RATE="` + rate + `" must be a number between 0 and 1`; !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q does not say %s", stderr, want)
		}
	}
}
