package otlptest_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/polytrace/polytrace/tracing/otelbackend/otlptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func post(t *testing.T, ctx context.Context, url string) (int, error) {
	t.Helper()
	body, _ := proto.Marshal(&coltracepb.ExportTraceServiceRequest{})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestFaultModes: the receiver answers with the status it is told to,
// holds requests until released, and counts every attempt.
func TestFaultModes(t *testing.T) {
	defer http.DefaultClient.CloseIdleConnections()
	r := otlptest.Start(t)
	if code, err := post(t, context.Background(), r.HTTPURL); err != nil || code != http.StatusOK {
		t.Fatalf("healthy receiver answered %d, %v", code, err)
	}
	r.SetFault(otlptest.Fault{Status: http.StatusServiceUnavailable})
	if code, _ := post(t, context.Background(), r.HTTPURL); code != http.StatusServiceUnavailable {
		t.Errorf("answered %d, want 503", code)
	}
	hold := make(chan struct{})
	r.SetFault(otlptest.Fault{Hold: hold})
	answered := make(chan int, 1)
	go func() { code, _ := post(t, context.Background(), r.HTTPURL); answered <- code }()
	if !r.WaitAttempts(3, 10*time.Second) {
		t.Fatal("the held request never arrived")
	}
	select {
	case code := <-answered:
		t.Fatalf("a held request was answered (%d)", code)
	default:
	}
	close(hold)
	if code := <-answered; code != http.StatusOK {
		t.Errorf("released request answered %d", code)
	}
	if n := r.Attempts(); n != 3 {
		t.Errorf("%d attempts counted, want 3", n)
	}
}

// TestCloseLetsHeldRequestsGo: closing a receiver that holds a request
// does not hang, and leaves no goroutine (TestMain checks).
func TestCloseLetsHeldRequestsGo(t *testing.T) {
	defer http.DefaultClient.CloseIdleConnections()
	r := otlptest.Start(t)
	r.SetFault(otlptest.Fault{Hold: make(chan struct{})})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); _, _ = post(t, ctx, r.HTTPURL) }()
	if !r.WaitAttempts(1, 10*time.Second) {
		t.Fatal("the request never arrived")
	}
	r.Close()
	<-done
}
