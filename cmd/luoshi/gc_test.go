package main

import "testing"

func TestGCPercent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 2000},        // an empty heap counts as 4 MiB: capped
		{20 << 20, 1280}, // 256 MiB above 20 MiB
		{128 << 20, 200}, // 256 MiB above 128 MiB
		{256 << 20, 100}, // from here on, the default
		{2 << 30, 100},   // never below it
		{100 << 20, 250}, // 256/100 = 2.56: rounded down to tens
	} {
		if got := gcPercent(c.live); got != c.want {
			t.Errorf("gcPercent(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}
