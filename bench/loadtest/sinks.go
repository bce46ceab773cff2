package main

import (
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
)

var ddQuietEnv = ddtest.QuietEnv

// sinks are the loopback destinations of the backends. With decode (the
// -callgrind mode), they decode every payload as the vendor's receiver
// would and count its spans, which shows that every variant delivered
// what it made; otherwise they discard what they get, so as to take as
// little CPU as possible from the services under load.
type sinks struct {
	decode bool

	otlp         *httptest.Server
	otlpURL      string
	otlpRequests atomic.Int64
	otlpSpans    atomic.Int64
	otlpErrors   atomic.Int64

	dd *ddtest.Agent

	jaeger     *jaegertest.Agent // decode
	udp        net.PacketConn    // !decode
	udpPackets atomic.Int64
	udpDone    chan struct{}
}

func startSinks(decode bool) (*sinks, error) {
	s := &sinks{decode: decode, udpDone: make(chan struct{})}
	s.otlp = httptest.NewServer(http.HandlerFunc(s.serveOTLP))
	s.otlpURL = s.otlp.URL
	s.dd = ddtest.Start(ddtest.Config{Discard: !decode})
	if decode {
		a, err := jaegertest.NewAgent()
		if err != nil {
			s.otlp.Close()
			s.dd.Close()
			return nil, err
		}
		s.jaeger = a
		close(s.udpDone)
		return s, nil
	}
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		s.otlp.Close()
		s.dd.Close()
		return nil, err
	}
	s.udp = udp
	go func() {
		defer close(s.udpDone)
		buf := make([]byte, 65536)
		for {
			if _, _, err := udp.ReadFrom(buf); err != nil {
				return
			}
			s.udpPackets.Add(1)
		}
	}()
	return s, nil
}

func (s *sinks) serveOTLP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			s.otlpErrors.Add(1)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	if !s.decode {
		_, _ = io.Copy(io.Discard, body)
	} else {
		b, err := io.ReadAll(body)
		var req coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(b, &req)
		}
		if err != nil {
			s.otlpErrors.Add(1)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := 0
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				n += len(ss.Spans)
			}
		}
		s.otlpSpans.Add(int64(n))
	}
	s.otlpRequests.Add(1)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

func (s *sinks) ddURL() string { return s.dd.URL() }

func (s *sinks) jaegerHostPort() (host, port string) {
	if s.jaeger != nil {
		return s.jaeger.HostPort()
	}
	a := s.udp.LocalAddr().(*net.UDPAddr)
	return a.IP.String(), strconv.Itoa(a.Port)
}

// spans returns the spans the sink of backend has decoded so far (decode
// mode), and the payloads it could not decode.
func (s *sinks) spans(backend string) (spans, bad int) {
	switch backend {
	case "otel":
		return int(s.otlpSpans.Load()), int(s.otlpErrors.Load())
	case "datadog":
		return len(s.dd.Spans()), s.dd.Rejected()
	case "jaeger":
		if s.jaeger == nil {
			return 0, 0
		}
		n := 0
		batches, err := s.jaeger.Batches()
		for _, b := range batches {
			n += len(b.Spans)
		}
		if err != nil {
			bad = 1
		}
		return n, bad
	}
	return 0, 0
}

// counts returns the requests, payloads and datagrams the sinks got.
func (s *sinks) counts() (otlp, dd, jaeger int64) {
	jaeger = s.udpPackets.Load()
	if s.jaeger != nil {
		jaeger = int64(len(s.jaeger.Payloads()))
	}
	return s.otlpRequests.Load(), int64(s.dd.Requests()["/v0.4/traces"]), jaeger
}

func (s *sinks) close() {
	s.otlp.Close()
	s.dd.Close()
	if s.jaeger != nil {
		s.jaeger.Close()
	} else {
		_ = s.udp.Close()
	}
	<-s.udpDone
}
