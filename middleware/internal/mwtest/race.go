//go:build race

package mwtest

const raceEnabled = true
