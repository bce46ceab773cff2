package notes

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/polytrace/polytrace/middleware/tracehttp"
	"github.com/polytrace/polytrace/tracing"
)

// CalendarClient asks the calendar service for a date.
type CalendarClient struct {
	URL  string // e.g. http://calendar:9090/calendar
	HTTP *http.Client
}

// CalendarTimeout bounds a call to the calendar service (the original had
// none of its own).
const CalendarTimeout = 2 * time.Second

// NewCalendarClient returns a client for url whose requests are traced by
// tracer (nil: the default tracer), with the Datadog tutorial's resource
// names ("GET /calendar").
func NewCalendarClient(url string, tracer *tracing.Tracer) *CalendarClient {
	opts := []tracehttp.Option{
		tracehttp.WithResourceNamer(func(r *http.Request, _ string) string { return r.Method + " " + r.URL.Path }),
	}
	if tracer != nil {
		opts = append(opts, tracehttp.WithTracer(tracer))
	}
	return &CalendarClient{URL: url, HTTP: tracehttp.WrapClient(&http.Client{Timeout: CalendarTimeout}, opts...)}
}

// Date returns a date from the calendar service ("2026-05-01"). A status
// other than 200 or a body that is not a JSON date string is an error.
func (c *CalendarClient) Date(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", c.URL, resp.Status)
	}
	var date string
	if err := json.Unmarshal(body, &date); err != nil {
		return "", fmt.Errorf("answer is not a JSON string: %w", err)
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return "", fmt.Errorf("answer %q is not a date", date)
	}
	return date, nil
}
