package jaegertest_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/config"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
)

// A fake agent receives what the jaeger backend really sends over UDP.
// (In a test, StartAgent closes it when the test ends.)
func ExampleAgent() {
	agent, err := jaegertest.NewAgent()
	if err != nil {
		log.Fatal(err)
	}
	defer agent.Close()
	b, err := jaegerbackend.New(jaegerbackend.WithServiceName("notes"),
		jaegerbackend.WithSampler(jaeger.NewConstSampler(true)),
		jaegerbackend.WithConfig(func(c *config.Configuration) {
			c.Reporter = &config.ReporterConfig{LocalAgentHostPort: agent.Addr()}
		}))
	if err != nil {
		log.Fatal(err)
	}
	tr := tracing.New(b)
	_, sp := tr.Start(context.Background(), "GET /notes", tracing.WithKind(tracing.SpanKindServer))
	sp.End()
	_ = tr.Shutdown(context.Background()) // sends what is queued

	spans, err := agent.Wait(1, 5*time.Second)
	if err != nil || len(spans) == 0 {
		log.Fatal("nothing received: ", err)
	}
	d := jaegertest.SpanData(spans[0])
	fmt.Println(d.Name, d.Kind, d.TraceID.High64() != 0)
	// Output: GET /notes server true
}
