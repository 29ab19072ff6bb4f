package web

import "testing"

// TestSegments: marked pieces follow the intervals (rune offsets), an
// interval overlapping an earlier one is cut to what is left, and the pieces
// put back together are the text.
func TestSegments(t *testing.T) {
	text := "一二三四五六七八九十"
	segs := segments(text, []interval{{6, 9, 2}, {1, 3, 1}, {2, 5, 3}, {8, 12, 4}})
	var got string
	var marks []string
	for _, s := range segs {
		got += s.Text
		if s.Mark {
			marks = append(marks, s.Text)
		}
	}
	if got != text {
		t.Fatalf("pieces %q", got)
	}
	want := []string{"二三", "四五", "七八九", "十"}
	if len(marks) != len(want) {
		t.Fatalf("marks %q", marks)
	}
	for i := range want {
		if marks[i] != want[i] {
			t.Fatalf("marks %q, want %q", marks, want)
		}
	}
}
