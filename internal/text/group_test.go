package text

import (
	"math"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/text/tipdm"
)

func TestNearDup(t *testing.T) {
	a := "A3区西湖街道茶场村五组何时才能启动拆迁？村民等了三年。"
	for _, c := range []struct {
		b        string
		min, max float64
	}{
		{a, 1, 1},
		{"Ａ３区西湖街道茶场村五组　何时才能启动拆迁!村民等了三年", 1, 1}, // width, spaces, punctuation
		{"A3区西湖街道茶场村五组何时才能启动拆迁？村民已经等了三年。", 0.6, 0.95},
		{"A2区丽发新城附近修建搅拌厂噪音扰民", 0, 0.05},
	} {
		if s := NearDup(a, c.b); s < c.min || s > c.max {
			t.Errorf("NearDup(%q) = %.3f, want [%.2f, %.2f]", c.b, s, c.min, c.max)
		}
	}
	if ExactKey("你好，世界") != ExactKey("你好 世界！") || ExactKey("你好世界") == ExactKey("你好 世界") {
		t.Error("ExactKey must ignore punctuation and spacing but keep run boundaries")
	}
}

func TestGroup(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2019, 7, d, 9, 0, 0, 0, time.UTC) }
	items := []Item{
		{"1", "伊景园滨河苑捆绑销售车位", "伊景园滨河苑项目要求职工捆绑购买车位，否则取消购房资格。", day(1), 3},
		{"2", "投诉伊景园滨河苑捆绑车位", "伊景园滨河苑强制捆绑销售车位，每个车位12万，请政府制止。", day(3), 5},
		{"3", "伊景园滨河苑车位捆绑销售", "伊景园滨河苑捆绑销售车位不合法，职工不需要车位。", day(9), 0},
		{"4", "丽发新城搅拌站噪音扰民", "丽发新城小区旁边搅拌站日夜施工，噪音和粉尘严重。", day(2), 1},
		{"5", "丽发新城附近搅拌站粉尘", "丽发新城小区附近的搅拌站粉尘很大，噪音扰民。", day(4), 2},
		{"6", "学校食堂价格太贵", "某中学食堂饭菜价格上涨，学生吃不起。", day(5), 0},
		{"7", "公交车班次太少", "早高峰公交车要等四十分钟。", day(6), 0},
		{"8", "公交班次太少", "早高峰公交车要等四十分钟。", day(8), 0}, // same body as 7
	}
	is := Group(items, GroupOptions{})
	if len(is) != 4 {
		for _, x := range is {
			t.Log(x)
		}
		t.Fatalf("%d issues, want 4", len(is))
	}
	if got := is[0]; got.Count != 3 || got.Votes != 8 || !got.First.Equal(day(1)) || !got.Last.Equal(day(9)) ||
		got.IDs[0] != "1" || got.IDs[2] != "3" {
		t.Errorf("first issue %+v", got)
	}
	if got := is[1]; got.Count != 2 || got.Votes != 3 {
		t.Errorf("second issue %+v", got)
	}
	if got := is[2]; got.Count != 2 || got.IDs[0] != "7" {
		t.Errorf("third issue %+v", got)
	}
	// a window shorter than the gaps keeps even exact duplicates linked but
	// separates the rest
	is = Group(items, GroupOptions{Window: time.Hour})
	if len(is) != 7 {
		t.Errorf("with a 1h window: %d issues, want 7 (only the exact duplicates joined)", len(is))
	}
	if len(Group(nil, GroupOptions{})) != 0 {
		t.Error("no items, no issues")
	}
}

func votesItems(t testing.TB) []Item {
	ms := load(t, tipdm.Votes)
	items := make([]Item, len(ms))
	for i, m := range ms {
		items[i] = Item{m.ID, m.Subject, m.Body, m.Time, m.Votes}
	}
	return items
}

func handPairs(t testing.TB) []PairLabel {
	jp, err := tipdm.LoadPairs(filepath.Join("testdata", "samematter_pairs.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]PairLabel, len(jp))
	for i, p := range jp {
		out[i] = PairLabel{p.A, p.B, p.Same}
	}
	return out
}

// TestGroupingOnMessages measures the grouping on the 4,326 messages with
// votes: every exact duplicate must be found, and the hand-checked pairs
// of testdata/samematter_pairs.tsv must come out right.
func TestGroupingOnMessages(t *testing.T) {
	items := votesItems(t)
	is := Group(items, GroupOptions{})
	exact := ScorePairs(is, ExactPairs(items))
	t.Logf("exact duplicates: %d pairs, recall %.3f", exact.TP+exact.FN, exact.Recall)
	if exact.FN != 0 || exact.TP < 100 {
		t.Errorf("exact duplicates: %+v", exact)
	}
	hand := ScorePairs(is, handPairs(t))
	t.Logf("hand-checked pairs: %+v", hand)
	if hand.TP+hand.FP+hand.FN+hand.TN < 40 || hand.Precision < 0.85 || hand.Recall < 0.85 {
		t.Errorf("hand-checked pairs: %+v", hand)
	}
}

// TestSimilarTo: the pairs of one item with the others are exactly those of
// SimilarPairs that involve it, for every item of the labelled messages
// taken as the one (each with the 200 after it), and topTerms agrees with
// a full sort.
func TestSimilarTo(t *testing.T) {
	items := votesItems(t)
	for start := 0; start+200 < len(items); start += 97 {
		set := items[start : start+201]
		var want []Pair
		for _, p := range SimilarPairs(set, GroupOptions{}) {
			if p.A == 0 {
				want = append(want, p)
			}
		}
		got := SimilarTo(set, GroupOptions{})
		if len(got) != len(want) {
			t.Fatalf("from %d: %d pairs, SimilarPairs has %d", start, len(got), len(want))
		}
		for i := range got {
			if got[i].A != want[i].A || got[i].B != want[i].B || math.Abs(got[i].Score-want[i].Score) > 1e-12 {
				t.Fatalf("from %d: pair %d is %+v, SimilarPairs has %+v", start, i, got[i], want[i])
			}
		}
	}
	for _, v := range vectors(items[:50]) {
		ts := make([]string, 0, len(v))
		for t := range v {
			ts = append(ts, t)
		}
		sort.Slice(ts, func(a, b int) bool {
			if v[ts[a]] != v[ts[b]] {
				return v[ts[a]] > v[ts[b]]
			}
			return ts[a] < ts[b]
		})
		ts = ts[:min(16, len(ts))]
		if got := topTerms(v, 16); !slices.Equal(got, ts) {
			t.Fatalf("topTerms %v, sorted %v", got, ts)
		}
	}
}
