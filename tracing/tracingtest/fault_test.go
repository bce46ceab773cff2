package tracingtest_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func TestChangesWaitUntil(t *testing.T) {
	var c tracingtest.Changes
	var n atomic.Int32 // the state: guarded as a receiver's would be
	if c.WaitUntil(0, func() bool { return n.Load() > 0 }) {
		t.Error("WaitUntil(0) held a condition that does not")
	}
	done := make(chan bool)
	go func() { done <- c.WaitUntil(time.Minute, func() bool { return n.Load() == 3 }) }()
	for range 3 {
		time.Sleep(time.Millisecond)
		n.Add(1)
		c.Notify()
	}
	if !<-done {
		t.Error("WaitUntil missed a change")
	}
}

func TestFaultGate(t *testing.T) {
	var g tracingtest.FaultGate
	hold := make(chan struct{})
	g.SetFault(tracingtest.Fault{Status: http.StatusTooManyRequests, Hold: hold})
	answered := make(chan tracingtest.Fault)
	go func() { answered <- g.Arrive(context.Background()) }()
	if !g.WaitAttempts(1, time.Minute) {
		t.Fatal("the request never arrived")
	}
	select {
	case <-answered:
		t.Fatal("a held request went on")
	default:
	}
	g.Close() // lets it go, as a receiver closing does
	if f := <-answered; f.Status != http.StatusTooManyRequests {
		t.Errorf("Arrive returned %+v", f)
	}
	if g.Arrive(context.Background()); g.Attempts() != 2 || g.WaitAttempts(3, 0) {
		t.Errorf("%d attempts counted, want 2", g.Attempts())
	}
	w := httptest.NewRecorder()
	if !(tracingtest.Fault{Status: 503, RetryAfter: 2 * time.Second}).WriteHTTP(w, "no") || w.Code != 503 || w.Header().Get("Retry-After") != "2" {
		t.Errorf("WriteHTTP answered %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if (tracingtest.Fault{}).WriteHTTP(httptest.NewRecorder(), "") {
		t.Error("a healthy Fault answered")
	}
}

func TestEndpoints(t *testing.T) {
	refused := tracingtest.RefusedURL(t)
	if c, err := net.Dial("tcp", strings.TrimPrefix(refused, "http://")); err == nil {
		c.Close()
		t.Errorf("%s accepted a connection", refused)
	}
	bh := tracingtest.StartBlackhole(t)
	c, err := net.Dial("tcp", strings.TrimPrefix(bh.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !bh.WaitAccepted(1, time.Minute) || bh.Accepted() != 1 {
		t.Errorf("the black hole accepted %d connections", bh.Accepted())
	}

	const receiver = "http://127.0.0.1:1/v1/traces"
	if got := (tracingtest.Setup{}).Endpoint(t, receiver); got != receiver {
		t.Errorf("healthy: %s", got)
	}
	if got := (tracingtest.Setup{Blackhole: bh}).Endpoint(t, receiver); got != bh.URL+"/v1/traces" {
		t.Errorf("black hole: %s", got)
	}
	if got := (tracingtest.Setup{Down: true}).Endpoint(t, receiver); !strings.HasSuffix(got, "/v1/traces") || got == receiver {
		t.Errorf("down: %s", got)
	}
}

func TestLimitOptions(t *testing.T) {
	opt := func(name string) func(int) string {
		return func(n int) string { return name + "=" + string(rune('0'+n)) }
	}
	got := tracingtest.LimitOptions(&tracingtest.Limits{ValueLen: 3, Events: 1}, opt("len"), opt("attrs"), opt("events"))
	if strings.Join(got, " ") != "len=3 events=1" {
		t.Errorf("options %v", got)
	}
	if tracingtest.LimitOptions(nil, opt("len"), opt("attrs"), opt("events")) != nil {
		t.Error("options for no limits")
	}
}
