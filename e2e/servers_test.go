//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// The fixed ports of tools/jaeger/config.yaml and tools/otelcol/config.yaml,
// all on 127.0.0.1.
var (
	jaegerTCPPorts = []int{
		4317,  // OTLP gRPC
		4318,  // OTLP HTTP
		14250, // Jaeger model.proto gRPC
		14268, // Jaeger thrift over HTTP (collector)
		9411,  // Zipkin
		16686, // query HTTP API
		16685, // query gRPC API
		13133, // health check
	}
	jaegerUDPPorts    = []int{6831, 6832} // thrift compact and binary (agent)
	collectorTCPPorts = []int{8126, 14317, 14318}
)

const (
	jaegerQueryURL  = "http://127.0.0.1:16686"
	jaegerHealthURL = "http://127.0.0.1:13133/status"
	ddAgentURL      = "http://127.0.0.1:8126"

	serverStartTimeout = 30 * time.Second // the machine may be busy compiling
	serverStopTimeout  = 15 * time.Second
)

// requirePortsFree fails the test, naming the port, when one of the
// servers' fixed ports is taken: the leg would otherwise talk to someone
// else's server.
func requirePortsFree(t *testing.T, what string, tcp, udp []int) {
	t.Helper()
	for _, port := range tcp {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatalf("%s needs 127.0.0.1:%d/tcp, which is already in use (another Jaeger or collector? `ss -ltnp 'sport = :%d'`): %v",
				what, port, port, err)
		}
		ln.Close()
	}
	for _, port := range udp {
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatalf("%s needs 127.0.0.1:%d/udp, which is already in use (another Jaeger agent? `ss -lunp 'sport = :%d'`): %v",
				what, port, port, err)
		}
		pc.Close()
	}
}

// startServer starts a server binary and registers a graceful stop as a
// cleanup, so that its ports are free again for the next leg.
func startServer(t *testing.T, name, bin string, args ...string) *process {
	t.Helper()
	p := startProcess(t, name, bin, args, serviceEnv())
	t.Cleanup(func() {
		if err := p.stop(serverStopTimeout); err != nil {
			t.Logf("%s: %v", name, err)
		}
	})
	return p
}

// startJaeger starts a fresh Jaeger all-in-one (an empty in-memory store)
// and waits until its health check reports it ready.
func startJaeger(t *testing.T) *process {
	t.Helper()
	bin := requireTool(t, "jaeger")
	requirePortsFree(t, "jaeger", jaegerTCPPorts, jaegerUDPPorts)
	start := time.Now()
	p := startServer(t, "jaeger", bin, "--config", filepath.Join(repoRoot, "tools", "jaeger", "config.yaml"))
	waitReady(t, p, jaegerHealthURL, func(body []byte) bool {
		var st struct{ Healthy bool }
		return json.Unmarshal(body, &st) == nil && st.Healthy
	})
	// Healthy means every component started; check that the TCP
	// receivers and the query API do accept connections.
	for _, port := range []int{4317, 4318, 14268, 16686} {
		waitDial(t, p, port)
	}
	t.Logf("jaeger ready in %v", time.Since(start).Round(time.Millisecond))
	return p
}

// startCollector starts the OpenTelemetry Collector with the datadog
// receiver, keeping 128-bit trace ids, and waits until the receiver
// answers /info.
func startCollector(t *testing.T) *process {
	t.Helper()
	bin := requireTool(t, "otelcol-dd")
	requirePortsFree(t, "otelcol-dd", collectorTCPPorts, nil)
	start := time.Now()
	p := startServer(t, "otelcol-dd", bin, "--config", filepath.Join(repoRoot, "tools", "otelcol", "config.yaml"),
		"--feature-gates=receiver.datadogreceiver.Enable128BitTraceID")
	waitReady(t, p, ddAgentURL+"/info", func(body []byte) bool {
		var info struct{ Endpoints []string }
		if json.Unmarshal(body, &info) != nil {
			return false
		}
		for _, e := range info.Endpoints {
			if e == "/v0.4/traces" {
				return true
			}
		}
		return false
	})
	t.Logf("otelcol-dd ready in %v", time.Since(start).Round(time.Millisecond))
	return p
}

// waitDial waits until 127.0.0.1:port accepts a TCP connection.
func waitDial(t *testing.T, p *process, port int) {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(serverStartTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if p.exited() {
			t.Fatalf("%s exited while starting (%v):\n%s", p.name, p.err, p.output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not accept connections on %s within %v: %v", p.name, addr, serverStartTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReady polls url until it answers 200 with a body ok accepts.
func waitReady(t *testing.T, p *process, url string, ok func([]byte) bool) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(serverStartTimeout)
	var last string
	for {
		if p.exited() {
			t.Fatalf("%s exited while starting (%v):\n%s", p.name, p.err, p.output())
		}
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && ok(body) {
				return
			}
			last = fmt.Sprintf("%s: %s", resp.Status, body)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within %v (%s: %s)", p.name, serverStartTimeout, url, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
