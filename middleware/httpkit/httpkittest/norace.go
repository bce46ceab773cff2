//go:build !race

package httpkittest

const raceEnabled = false
