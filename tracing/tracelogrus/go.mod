module github.com/polytrace/polytrace/tracing/tracelogrus

go 1.26.0

require (
	github.com/polytrace/polytrace v0.1.0
	github.com/sirupsen/logrus v1.10.2
	go.uber.org/goleak v1.3.0
)

require golang.org/x/sys v0.13.0 // indirect

replace github.com/polytrace/polytrace => ../..
