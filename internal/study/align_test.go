package study

import (
	"strings"
	"testing"
)

func TestNormalizeFoldsPunctuationWidthAndTraditional(t *testing.T) {
	a := Normalize("學習教育，要紮實推進！ＡＢＣ　１２３")
	b := Normalize("学习教育要扎实推进abc123")
	if string(a.Runes) != string(b.Runes) {
		t.Fatalf("%q != %q", string(a.Runes), string(b.Runes))
	}
	// positions point into the original text
	if a.Pos[4] != 5 { // 要 is the 6th character, after the comma
		t.Fatalf("pos %v", a.Pos)
	}
	if CountChars("心得， 体会。") != 4 {
		t.Fatal("punctuation and spaces must not count")
	}
}

func TestAlignFindsMovedAndEditedPassages(t *testing.T) {
	src := "第一段讲的是要坚持以人民为中心的发展思想不断增强群众获得感。第二段讲的是要刀刃向内刮骨疗毒清除害群之马。第三段讲的是要建章立制巩固教育整顿成果。"
	q := "第三段讲的是要建章立制巩固教育整顿成果。我自己的一句话放在中间不算抄袭的内容。第一段講的是要堅持以人民為中心的發展思想不斷增強群眾獲得感！"
	res := Compare(Normalize(q), []*Doc{{Kind: SourceReference, Key: "reference:x", Body: src}})
	if len(res.Matches) != 1 {
		t.Fatalf("matches %+v", res.Matches)
	}
	m := res.Matches[0]
	if len(m.Spans) != 2 {
		t.Fatalf("spans %+v", m.Spans)
	}
	qr, sr := []rune(q), []rune(src)
	for _, sp := range m.Spans {
		got, want := Normalize(string(qr[sp.Start:sp.End])), Normalize(string(sr[sp.SourceStart:sp.SourceEnd]))
		if string(got.Runes) != string(want.Runes) {
			t.Fatalf("span %q vs %q", string(qr[sp.Start:sp.End]), string(sr[sp.SourceStart:sp.SourceEnd]))
		}
	}
	if res.Similarity < 0.6 || res.Similarity > 0.8 {
		t.Fatalf("similarity %.3f", res.Similarity)
	}
	if !strings.HasPrefix(string(qr[m.Spans[0].Start:]), "第三段") {
		t.Fatalf("first span starts at %d", m.Spans[0].Start)
	}
}

func TestBuiltinCorpus(t *testing.T) {
	if len(Builtin()) != 5 {
		t.Fatal("five built-in reference texts")
	}
	for _, d := range Builtin() {
		if CountChars(d.Body) < 1500 {
			t.Fatalf("%s: %d chars", d.Key, CountChars(d.Body))
		}
	}
	// a paragraph copied from a speech is found whole
	body := Builtin()[4].Body
	rs := []rune(body)
	q := string(rs[300:900])
	res := Compare(Normalize(q), Builtin())
	if res.Similarity < 0.95 || res.Matches[0].Source != "reference:seed-004" {
		t.Fatalf("%.3f %+v", res.Similarity, res.Matches[0].Source)
	}
}

// TestSpansPointAtTheSameText: on disguised copies, every reported span
// reads the same (once reduced) in the reflection and in the source, the
// spans are in order and do not overlap, and the score is their share.
func TestSpansPointAtTheSameText(t *testing.T) {
	g := newGen(31)
	for i := 0; i < 40; i++ {
		src := g.text(800)
		if i%4 == 3 {
			src = g.excerpt(Builtin()[i%5].Body, 800)
		}
		q := g.disguise(src, thirty)
		res := Compare(Normalize(q), []*Doc{{Kind: SourceReference, Key: "reference:x", Body: src}})
		if len(res.Matches) != 1 {
			t.Fatalf("%d: %d matches", i, len(res.Matches))
		}
		qr, sr := []rune(q), []rune(src)
		end, covered := 0, 0
		for _, sp := range res.Matches[0].Spans {
			if sp.Start < end || sp.End <= sp.Start || sp.End > len(qr) || sp.SourceEnd > len(sr) {
				t.Fatalf("%d: bad span %+v after %d", i, sp, end)
			}
			end = sp.End
			a, b := Normalize(string(qr[sp.Start:sp.End])), Normalize(string(sr[sp.SourceStart:sp.SourceEnd]))
			if string(a.Runes) != string(b.Runes) || a.Len() < seedLen {
				t.Fatalf("%d: span %q vs %q", i, string(qr[sp.Start:sp.End]), string(sr[sp.SourceStart:sp.SourceEnd]))
			}
			covered += a.Len()
		}
		if want := round3(float64(covered) / float64(Normalize(q).Len())); want != res.Matches[0].Score {
			t.Fatalf("%d: score %.3f, spans cover %.3f", i, res.Matches[0].Score, want)
		}
	}
}
