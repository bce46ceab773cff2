// Package mixedfleet holds the migration proof: tests that run a chain of
// services in one process, each on a different backend with that backend's
// default propagation, and show one 128-bit trace from end to end with the
// right parent at every hop — read back from what each backend really sent.
// It has no code of its own.
package mixedfleet
