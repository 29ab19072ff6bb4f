package warn_test

import (
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/study"
	"github.com/luoshi/luoshi/internal/warn"
)

// TestStudyCopyFlag: reflections flagged as copies and handed in during the
// period raise one flag per unit, with the most similar as evidence; those
// of other periods or of units outside the rows raise none.
func TestStudyCopyFlag(t *testing.T) {
	per := score.QuarterOf(2026, 4)
	in := time.Date(2026, 11, 5, 3, 0, 0, 0, time.UTC).UnixMilli()
	before := time.Date(2026, 9, 20, 3, 0, 0, 0, time.UTC).UnixMilli()
	rows := warn.Rows{
		Units: []warn.Unit{{ID: 1, Code: "court", Name: "法院"}, {ID: 2, Code: "pro", Name: "检察院"}},
		Copies: []study.Copy{
			{ReflectionID: 10, UnitID: 1, TaskNumber: "XX-2026-000001", AuthorName: "甲", TaskTitle: "心得", Similarity: 0.92, Source: "范文一", SubmittedAt: in, Link: "/study/reflections/10"},
			{ReflectionID: 11, UnitID: 1, TaskNumber: "XX-2026-000001", AuthorName: "乙", TaskTitle: "心得", Similarity: 0.55, Source: "甲的心得", SubmittedAt: in, Link: "/study/reflections/11"},
			{ReflectionID: 12, UnitID: 2, Similarity: 0.8, SubmittedAt: before},
			{ReflectionID: 13, UnitID: 3, Similarity: 0.8, SubmittedAt: in},
		},
	}
	flags := warn.Detect(rows, per, warn.DefaultThresholds())
	var got []warn.Flag
	for _, f := range flags {
		if f.Kind == warn.StudyCopy {
			got = append(got, f)
		}
	}
	if len(got) != 1 || got[0].UnitCode != "court" || got[0].Subject != per.Key {
		t.Fatalf("flags %+v", got)
	}
	if got[0].Args[0] != 2 || got[0].Args[1] != 92 || len(got[0].Evidence) != 2 || got[0].Evidence[0].Link != "/study/reflections/10" {
		t.Fatalf("flag %+v", got[0])
	}
}
