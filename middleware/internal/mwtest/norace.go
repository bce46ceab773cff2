//go:build !race

package mwtest

const raceEnabled = false
