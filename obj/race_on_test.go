//go:build race

package obj_test

const raceEnabled = true
