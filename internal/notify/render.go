package notify

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/luoshi/luoshi/internal/text"
)

// Rendered is one digest in the shapes the channels need. Links are absolute,
// built from the deployment's base URL, because a message is read outside the app.
type Rendered struct {
	Subject  string
	Text     string // plain text (email)
	HTML     string // HTML (email)
	Markdown string // DingTalk / WeCom markdown
	Title    string
	Lines    []Line // with absolute links (Feishu builds its post from these)
}

// absLink turns a path like /problems/42 into a URL on base; anything that is
// not a site path is dropped (a message never carries a foreign link).
func absLink(base, link string) string {
	if link == "" || link[0] != '/' || strings.HasPrefix(link, "//") {
		return ""
	}
	return strings.TrimRight(base, "/") + link
}

// mdEscape keeps user text (item titles) from being read as markdown markup.
// Angle brackets become their full-width forms: WeCom reads <font> tags, and
// an entity would show literally.
var mdEscape = strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, `*`, `\*`, `_`, `\_`, "`", "\\`", `<`, `＜`, `>`, `＞`)

var htmlTmpl = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family:sans-serif;line-height:1.6;color:#1f2328">
<p>{{.Person}}:</p>
<h2 style="font-size:18px">{{.Title}}</h2>
<ul>{{range .Lines}}<li>{{if .Link}}<a href="{{.Link}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}</li>{{end}}</ul>
<p style="color:#656d76;font-size:13px">{{.Footer}}</p>
</body></html>
`))

// Render builds every shape of a digest for a person. footer is a line in the
// default language saying where the message comes from. What leaves the
// system (mail, group robots) has personal data masked (text.Mask: phone,
// ID and card numbers, e-mail addresses in item titles); the link leads to
// the item, shown whole to whoever may read it.
func Render(m Message, base, footer string) Rendered {
	m.Title = text.Mask(m.Title)
	r := Rendered{Subject: m.Title, Title: m.Title}
	for _, l := range m.Lines {
		r.Lines = append(r.Lines, Line{Text: text.Mask(l.Text), Link: absLink(base, l.Link)})
	}
	var t, md strings.Builder
	if m.Person != "" {
		t.WriteString(m.Person + ":\n\n")
	}
	t.WriteString(m.Title + "\n\n")
	md.WriteString("### " + mdEscape.Replace(m.Title) + "\n\n")
	for _, l := range r.Lines {
		t.WriteString("- " + l.Text)
		if l.Link != "" {
			t.WriteString("\n  " + l.Link)
			md.WriteString("- [" + mdEscape.Replace(l.Text) + "](" + l.Link + ")\n")
		} else {
			md.WriteString("- " + mdEscape.Replace(l.Text) + "\n")
		}
		t.WriteString("\n")
	}
	if footer != "" {
		t.WriteString("\n" + footer + "\n")
		md.WriteString("\n" + mdEscape.Replace(footer) + "\n")
	}
	r.Text, r.Markdown = t.String(), md.String()
	var h bytes.Buffer
	htmlTmpl.Execute(&h, struct {
		Message
		Lines  []Line
		Footer string
	}{m, r.Lines, footer})
	r.HTML = h.String()
	return r
}
