package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
)

// Request data of the attribute groups, in variables as a real request's
// are.
var (
	attrMethod, attrScheme, attrPath, attrRoute = "GET", "http", "/notes/7", "/notes/{id}"
	attrHost, attrPort, attrClient, attrUA      = "notes.internal", 8080, "10.0.0.7", "Go-http-client/1.1"
	attrProto, attrStatus, attrRespSize         = "1.1", 200, int64(27)
	attrCalHost, attrCalPort, attrURLFull       = "calendar", 9090, "http://calendar:9090/calendar"
	attrSystem, attrOp, attrTable               = "sqlite", "SELECT", "notes"
	attrQuery                                   = "SELECT description FROM notes WHERE id = ?"
	attrRows                                    = int64(1)
)

// attrGroup records one group's attributes on a span the way the
// middleware does (at start, where samplers see them, then with the
// outcome), or only the span with its name, kind, resource and type
// (attrs=none).
type attrGroup struct {
	name string
	span func(tr *tracing.Tracer, ctx context.Context, all bool)
}

var attrGroups = []attrGroup{
	{"server", func(tr *tracing.Tracer, ctx context.Context, all bool) {
		opts := []tracing.StartOption{tracing.WithKind(tracing.SpanKindServer), tracing.WithSpanType(tracing.TypeWeb),
			tracing.WithResource("GET /notes/{id}")}
		if all {
			opts = append(opts, tracing.WithAttrs(
				tracing.String("http.request.method", attrMethod), tracing.String("url.scheme", attrScheme),
				tracing.String("url.path", attrPath), tracing.String("http.route", attrRoute),
				tracing.String("server.address", attrHost), tracing.Int("server.port", attrPort),
				tracing.String("client.address", attrClient), tracing.String("user_agent.original", attrUA)))
		}
		_, sp := tr.Start(ctx, "GET /notes/{id}", opts...)
		if all {
			sp.SetAttrs(tracing.String("network.protocol.version", attrProto))
			sp.SetAttrs(tracing.Int("http.response.status_code", attrStatus), tracing.Int64("http.response.body.size", attrRespSize))
		}
		sp.End()
	}},
	{"client", func(tr *tracing.Tracer, ctx context.Context, all bool) {
		opts := []tracing.StartOption{tracing.WithKind(tracing.SpanKindClient), tracing.WithSpanType(tracing.TypeHTTP),
			tracing.WithResource("GET")}
		if all {
			opts = append(opts, tracing.WithAttrs(
				tracing.String("http.request.method", attrMethod), tracing.String("server.address", attrCalHost),
				tracing.Int("server.port", attrCalPort), tracing.String("user_agent.original", attrUA)))
		}
		_, sp := tr.Start(ctx, "GET", opts...)
		if all {
			sp.SetAttrs(tracing.String("url.full", attrURLFull), tracing.Int("http.response.status_code", attrStatus),
				tracing.String("network.protocol.version", attrProto), tracing.Int64("http.response.body.size", attrRespSize))
		}
		sp.End()
	}},
	{"sql", func(tr *tracing.Tracer, ctx context.Context, all bool) {
		opts := []tracing.StartOption{tracing.WithKind(tracing.SpanKindClient), tracing.WithSpanType(tracing.TypeSQL),
			tracing.WithResource(attrQuery), tracing.WithService("db")}
		if all {
			opts = append(opts, tracing.WithAttrs(
				tracing.String("db.system.name", attrSystem), tracing.String("db.operation.name", attrOp),
				tracing.String("db.collection.name", attrTable), tracing.String("db.query.text", attrQuery)))
		}
		_, sp := tr.Start(ctx, "SELECT notes", opts...)
		if all {
			sp.SetAttrs(tracing.Int64("db.response.returned_rows", attrRows))
		}
		sp.End()
	}},
}

// BenchmarkAttrGroups: what each group of semantic-convention attributes
// the middleware records costs on each backend, exports included (OTLP/HTTP
// to a loopback sink through the backend's exporter, the Datadog agent
// API to the fake agent, Jaeger's UDP agent protocol to a loopback port):
// a span of the group with its attributes (attrs=all: the server span's
// eleven, the HTTP client span's eight, the SQL span's five, as httpkit
// and tracesql record them) and the same span with its name, kind,
// resource and type only (attrs=none). The difference is the group's
// price; README's Performance section reports it.
//
//	scripts/bench.sh --ir ./bench 'AttrGroups'
func BenchmarkAttrGroups(b *testing.B) {
	backends := []struct {
		name string
		new  func(b *testing.B) *tracing.Tracer
	}{
		{"otel", newOTLPBackend},
		{"datadog", func(b *testing.B) *tracing.Tracer { return newDDBackend(b, true) }},
		{"jaeger", func(b *testing.B) *tracing.Tracer { return newJaegerBackend(b, true, startUDPSink(b).Addr()) }},
	}
	for _, be := range backends {
		for _, g := range attrGroups {
			for _, all := range []bool{false, true} {
				attrs := "attrs=none"
				if all {
					attrs = "attrs=all"
				}
				b.Run("backend="+be.name+"/group="+g.name+"/"+attrs, func(b *testing.B) {
					tr := be.new(b)
					newParent, _ := facadeOps(tr)
					loop(b, newParent, func(ctx context.Context) { g.span(tr, ctx, all) })
				})
			}
		}
	}
}

// newOTLPBackend is the OpenTelemetry backend as a service runs it: its
// OTLP/HTTP exporter, to a loopback sink that reads and discards.
func newOTLPBackend(b *testing.B) *tracing.Tracer {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	// A queue that a benchmark's burst cannot fill: the backend drops
	// spans when its queue is full, which would make them look cheap.
	be, err := otelbackend.New(otelbackend.WithEndpointURL(sink.URL+"/v1/traces"),
		otelbackend.WithProtocol(otelbackend.ProtocolHTTPProtobuf), otelbackend.WithoutGlobal(),
		otelbackend.WithBatchOptions(sdktrace.WithMaxQueueSize(1<<17)))
	if err != nil {
		sink.Close()
		b.Fatal(err)
	}
	tr := tracing.New(be)
	b.Cleanup(func() {
		ctx, cancel := shutdownCtx()
		defer cancel()
		_ = tr.Shutdown(ctx)
		sink.Close()
		if st := tr.Stats(); st.Dropped > 0 {
			b.Errorf("%d spans dropped: the measurement is not of exported spans", st.Dropped)
		}
	})
	return tr
}
