// Package svc is what the example services share: opening the tracer from
// the environment, logging with trace ids, and serving with a graceful
// shutdown that flushes spans.
package svc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/polytrace/polytrace/tracing"
	_ "github.com/polytrace/polytrace/tracing/all" // every backend, chosen by TRACING_BACKEND
	"github.com/polytrace/polytrace/tracing/tracelog"
)

// Tracer opens the backend TRACING_BACKEND names, with service as the
// service name unless the environment gives one (OTEL_SERVICE_NAME,
// DD_SERVICE, JAEGER_SERVICE_NAME), and makes it the process default. A
// misconfiguration is an error.
func Tracer(ctx context.Context, service string) (*tracing.Tracer, error) {
	tracer, err := tracing.FromEnv(ctx, tracing.WithDefaultServiceName(service))
	if err != nil {
		return nil, err
	}
	tracing.SetDefault(tracer)
	return tracer, nil
}

// Logger returns a JSON logger whose records carry the trace and span ids
// of their context.
func Logger(service string) *slog.Logger {
	return slog.New(tracelog.NewHandler(slog.NewJSONHandler(os.Stderr, nil))).With("service", service)
}

// Env returns the environment variable name, or def if it is unset or
// empty.
func Env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Timeouts of the graceful shutdown.
const (
	drainTimeout = 10 * time.Second // for requests in flight
	flushTimeout = 5 * time.Second  // for spans still buffered
)

// Serve serves h on addr until ctx is done or the process gets SIGINT or
// SIGTERM. It then stops accepting connections, lets requests in flight
// finish, and flushes the tracer's spans, each step bounded in time.
func Serve(ctx context.Context, addr string, h http.Handler, tracer *tracing.Tracer, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return ServeListener(ctx, ln, h, tracer, log)
}

// ServeListener is Serve on a listener, for callers that choose the port
// (tests, the demo). It returns when ctx is done and the shutdown is over.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, tracer *tracing.Tracer, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	dctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(dctx); err != nil {
		errs = append(errs, fmt.Errorf("draining requests: %w", err))
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	fctx, cancel2 := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel2()
	if err := tracer.Shutdown(fctx); err != nil {
		errs = append(errs, fmt.Errorf("flushing spans: %w", err))
	}
	return errors.Join(errs...)
}

// GRPCServer is what ServeWithGRPC needs of a *grpc.Server.
type GRPCServer interface {
	Serve(net.Listener) error
	GracefulStop()
	Stop()
}

// ServeWithGRPC is ServeListener serving gRPC on gln too: it logs one
// "listening" line with both addresses (addr and grpc_addr), and its
// graceful shutdown also lets the gRPC calls in flight finish (within the
// same bound) before the tracer's spans are flushed.
func ServeWithGRPC(ctx context.Context, ln net.Listener, h http.Handler, gln net.Listener, gs GRPCServer, tracer *tracing.Tracer, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	gerrc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go func() { gerrc <- gs.Serve(gln) }()
	log.Info("listening", "addr", ln.Addr().String(), "grpc_addr", gln.Addr().String())

	var errs []error
	select {
	case err := <-errc:
		errs = append(errs, err)
	case err := <-gerrc:
		errs = append(errs, fmt.Errorf("gRPC: %w", err))
	case <-ctx.Done():
	}
	log.Info("shutting down")
	dctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		gs.GracefulStop()
		close(stopped)
	}()
	if err := srv.Shutdown(dctx); err != nil {
		errs = append(errs, fmt.Errorf("draining requests: %w", err))
	}
	select {
	case <-stopped:
	case <-dctx.Done():
		gs.Stop()
		<-stopped
		errs = append(errs, errors.New("draining gRPC calls: timed out"))
	}
	if len(errs) == 0 {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	fctx, cancel2 := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel2()
	if err := tracer.Shutdown(fctx); err != nil {
		errs = append(errs, fmt.Errorf("flushing spans: %w", err))
	}
	return errors.Join(errs...)
}
