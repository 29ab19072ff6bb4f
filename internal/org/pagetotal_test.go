package org

import (
	"errors"
	"testing"
)

func TestPageTotal(t *testing.T) {
	counted := errors.New("counted")
	count := func() (int, error) { return 0, counted }
	for _, c := range []struct {
		n, limit, offset int
		want             int // -1: the count runs
	}{
		{0, 50, 0, 0},     // nothing at all
		{7, 50, 0, 7},     // one short page
		{7, 50, 100, 107}, // the last page
		{50, 50, 0, -1},   // a full page: more may follow
		{0, 50, 100, -1},  // past the end: the total is unknown
		{1, 1, 0, -1},
	} {
		got, err := pageTotal(c.n, c.limit, c.offset, count)
		if c.want == -1 {
			if err != counted {
				t.Errorf("%+v: want a count, got %d %v", c, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%+v: got %d %v, want %d", c, got, err, c.want)
		}
	}
}
