//go:build !race

package tracelogrus_test

const raceEnabled = false
