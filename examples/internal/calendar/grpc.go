package calendar

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/polytrace/polytrace/examples/internal/calendarpb"
	"github.com/polytrace/polytrace/middleware/tracegrpc"
)

// GRPC returns the service on gRPC: calendar.v1.Calendar/GetDate answers
// the same dates as GET /calendar, traced by tracegrpc's stats handler
// (one server span per call, "calendar.v1.Calendar/GetDate", with GetDate's
// span under it). It also serves the standard health service, whose calls
// tracegrpc does not trace.
func (s *Server) GRPC() *grpc.Server {
	var opts []tracegrpc.Option
	if s.Tracer != nil {
		opts = append(opts, tracegrpc.WithTracer(s.Tracer))
	}
	if s.Service != "" {
		opts = append(opts, tracegrpc.WithService(s.Service))
	}
	gs := grpc.NewServer(grpc.StatsHandler(tracegrpc.NewServerHandler(opts...)))
	calendarpb.RegisterCalendarServer(gs, grpcCalendar{s})
	healthpb.RegisterHealthServer(gs, health.NewServer())
	return gs
}

type grpcCalendar struct{ s *Server }

func (g grpcCalendar) GetDate(ctx context.Context, _ *emptypb.Empty) (*wrapperspb.StringValue, error) {
	return wrapperspb.String(g.s.date(ctx)), nil
}
