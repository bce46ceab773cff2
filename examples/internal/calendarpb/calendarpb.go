// Package calendarpb is the calendar service's gRPC API, written by hand
// rather than generated (the examples need no protoc): the service
// calendar.v1.Calendar with one method, GetDate, which takes a
// google.protobuf.Empty and answers the date as a
// google.protobuf.StringValue ("2026-05-01"). Its messages are protobuf's
// well-known types, so the wire format is the one a .proto file would
// give:
//
//	service Calendar {
//	  rpc GetDate(google.protobuf.Empty) returns (google.protobuf.StringValue);
//	}
package calendarpb

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The service's names.
const (
	ServiceName   = "calendar.v1.Calendar"
	GetDateMethod = "/calendar.v1.Calendar/GetDate"
)

// CalendarServer is what a server of the service implements.
type CalendarServer interface {
	GetDate(ctx context.Context, req *emptypb.Empty) (*wrapperspb.StringValue, error)
}

// ServiceDesc describes the service to grpc.Server.RegisterService.
var ServiceDesc = grpc.ServiceDesc{
	ServiceName: ServiceName,
	HandlerType: (*CalendarServer)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "GetDate", Handler: getDateHandler}},
	Metadata:    "calendar.proto",
}

// RegisterCalendarServer registers srv on s.
func RegisterCalendarServer(s grpc.ServiceRegistrar, srv CalendarServer) {
	s.RegisterService(&ServiceDesc, srv)
}

func getDateHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	in := new(emptypb.Empty)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(CalendarServer).GetDate(ctx, in)
	}
	info := &grpc.UnaryServerInfo{Server: srv, FullMethod: GetDateMethod}
	return interceptor(ctx, in, info, func(ctx context.Context, req any) (any, error) {
		return srv.(CalendarServer).GetDate(ctx, req.(*emptypb.Empty))
	})
}

// CalendarClient calls the service.
type CalendarClient struct{ cc grpc.ClientConnInterface }

// NewCalendarClient returns a client that calls the service over cc.
func NewCalendarClient(cc grpc.ClientConnInterface) *CalendarClient { return &CalendarClient{cc} }

// GetDate asks for a date.
func (c *CalendarClient) GetDate(ctx context.Context, opts ...grpc.CallOption) (string, error) {
	out := new(wrapperspb.StringValue)
	if err := c.cc.Invoke(ctx, GetDateMethod, &emptypb.Empty{}, out, opts...); err != nil {
		return "", err
	}
	return out.GetValue(), nil
}
