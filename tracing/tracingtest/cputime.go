package tracingtest

import "testing"

// ReportCPU starts measuring the process's CPU time (ProcessCPU); the
// function it returns, called once the benchmark loop is over, reports it
// per operation as cpu-ns/op:
//
//	defer tracingtest.ReportCPU(b)()
//	for b.Loop() { … }
//
// On a shared machine this varies far less than wall time, and it
// includes the work spans cause on the vendor SDK's goroutines (batching,
// encoding, uploading) and in the garbage collector, which is part of
// their cost. Where ProcessCPU measures nothing it reports nothing.
func ReportCPU(b *testing.B) func() {
	start, ok := ProcessCPU()
	return func() {
		end, ok2 := ProcessCPU()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
