//go:build race

package tracezap_test

const raceEnabled = true
