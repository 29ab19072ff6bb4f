package study

import (
	"embed"
	"fmt"
)

// The first reference corpus: five published speeches and articles on
// 教育整顿, 政绩观 and 为民办实事 (public documents, from the project's seed
// material). They are the kind of text a reflection is copied from.
//
//go:embed corpus/*.txt
var corpusFS embed.FS

var builtinTitles = []string{
	"以如磐初心担时代使命，以正确政绩观引领工作高质量发展（市司法局廉政警示教育大会讲话）",
	"在政法委理论学习中心组政绩观专题研讨交流会上的发言",
	"教育整顿·司法局长访谈（三）：刀刃向内 动真碰硬 打造新时代司法行政铁军",
	"钟政声：为民办实事要力戒形式主义，不做表面文章、不跑偏做秀、不走过场",
	"某市委政法委书记在队伍教育整顿问题查纠环节动员部署工作会上的讲话",
}

// builtin are the embedded reference texts, prepared once per process.
var builtin = func() []*Doc {
	var out []*Doc
	for i, t := range builtinTitles {
		b, err := corpusFS.ReadFile(fmt.Sprintf("corpus/%03d.txt", i))
		if err != nil {
			panic(err) // embedded at build time: cannot happen
		}
		out = append(out, &Doc{Kind: SourceReference, Key: fmt.Sprintf("reference:seed-%03d", i), Title: t, Body: string(b)})
	}
	return out
}()

// Builtin returns the embedded reference texts.
func Builtin() []*Doc { return builtin }
