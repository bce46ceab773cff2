//go:build !race

package tracingtest

// RaceEnabled reports whether the race detector is on: tests that measure
// memory or end tens of thousands of spans scale down under it.
const RaceEnabled = false
