//go:build race

package tracelogrus_test

const raceEnabled = true
