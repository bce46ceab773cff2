package notes

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/polytrace/polytrace/examples/internal/calendarpb"
	"github.com/polytrace/polytrace/middleware/tracegrpc"
	"github.com/polytrace/polytrace/tracing"
)

// GRPCCalendarClient asks the calendar service for a date over gRPC
// (calendar.v1.Calendar/GetDate).
type GRPCCalendarClient struct {
	conn   *grpc.ClientConn
	client *calendarpb.CalendarClient
}

// NewGRPCCalendarClient returns a client for the calendar's gRPC server at
// target ("localhost:9091", "dns:///calendar:9091", …) whose calls are
// traced by tracer (nil: the default tracer). It does not connect until
// the first call. Close it when done.
func NewGRPCCalendarClient(target string, tracer *tracing.Tracer) (*GRPCCalendarClient, error) {
	var opts []tracegrpc.Option
	if tracer != nil {
		opts = append(opts, tracegrpc.WithTracer(tracer))
	}
	conn, err := grpc.NewClient(target,
		grpc.WithStatsHandler(tracegrpc.NewClientHandler(opts...)),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("calendar gRPC target %q: %w", target, err)
	}
	return &GRPCCalendarClient{conn: conn, client: calendarpb.NewCalendarClient(conn)}, nil
}

// Date returns a date from the calendar service ("2026-05-01"), within
// CalendarTimeout. An answer that is not a date is an error.
func (c *GRPCCalendarClient) Date(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, CalendarTimeout)
	defer cancel()
	date, err := c.client.GetDate(ctx)
	if err != nil {
		return "", err
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return "", fmt.Errorf("answer %q is not a date", date)
	}
	return date, nil
}

// Close closes the connection.
func (c *GRPCCalendarClient) Close() error { return c.conn.Close() }
