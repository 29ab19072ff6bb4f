package web

import (
	"html/template"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"text/template/parse"

	"github.com/luoshi/luoshi/internal/i18n"
)

// templateSet is the parsed templates of one language: every page (the
// layout, the shared partials and the page itself) and the layout-free
// fragments htmx asks for.
type templateSet struct {
	pages    map[string]*template.Template
	partials *template.Template
}

// The templates' static texts, {{.T "key"}} with a literal key and no
// arguments, are translated once at start: a set per language in which each
// such call is the string constant it would return. A page then renders
// without a method call (reflection, a catalogue look-up) per label. The
// constant goes through html/template's contextual escaping exactly as the
// call's result did; calls with arguments or a computed key stay calls.
// TestStaticTextsRenderAlike renders every page the web tests render both
// ways and compares.
var (
	langSets = map[i18n.Lang]*templateSet{}
	// checkStatic, in the tests, renders what was just rendered (template
	// tmpl of page's set, page "" for the partials) in both languages, with
	// the translated sets and with every call kept, and compares
	checkStatic func(page, tmpl string, pg *page)
)

func init() {
	for _, l := range []i18n.Lang{i18n.ZH, i18n.EN} {
		langSets[l] = parseTemplates(l)
	}
}

// templatesFor is the template set of a language.
func templatesFor(l i18n.Lang) *templateSet {
	if s := langSets[l]; s != nil {
		return s
	}
	return langSets[i18n.Default]
}

// pageTemplate is the template set of a page in a language, or nil.
func pageTemplate(l i18n.Lang, name string) *template.Template {
	return templatesFor(l).pages[name]
}

// parseTemplates parses every template; lang "" keeps every T call.
func parseTemplates(lang i18n.Lang) *templateSet {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html"))
	set := &templateSet{pages: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		// Clone copies the parse trees: translating a page's set leaves base as parsed
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
		translateStatic(t, lang)
		foldStatic(t, lang, "layout")
		set.pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	translateStatic(base, lang)
	foldStatic(base, lang, "menu")
	set.partials = base
	return set
}

// foldStatic has html/template escape t's set from entry (it does so once,
// at the first execution: here, with no data, which stops at the first
// field), then writes each translated text whose escaping is HTML's (text,
// quoted attribute, RCDATA) as the escaped text itself: no escaper call at
// each render. Texts in other contexts (URL, script, style, unquoted
// attribute) keep their escaper.
func foldStatic(t *template.Template, lang i18n.Lang, entry string) {
	if lang == "" {
		return
	}
	_ = t.ExecuteTemplate(io.Discard, entry, nil) // escapes; the run itself fails on nil data
	for _, x := range t.Templates() {
		if x.Tree != nil && x.Tree.Root != nil {
			foldList(x.Tree.Root)
		}
	}
}

func foldList(l *parse.ListNode) {
	if l == nil {
		return
	}
	for i, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			if s, ok := escapedConstant(n); ok {
				l.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: n.Pos, Text: []byte(s)}
			}
		case *parse.IfNode:
			foldList(n.List)
			foldList(n.ElseList)
		case *parse.RangeNode:
			foldList(n.List)
			foldList(n.ElseList)
		case *parse.WithNode:
			foldList(n.List)
			foldList(n.ElseList)
		}
	}
}

// htmlEscapers are html/template's escapers that, for a plain string, all
// replace the same characters (its htmlReplacementTable).
var htmlEscapers = map[string]bool{
	"_html_template_htmlescaper":   true,
	"_html_template_attrescaper":   true,
	"_html_template_rcdataescaper": true,
}

var htmlReplacer = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

// escapedConstant reports whether a is {{"text" | escaper...}} with only
// HTML escapers (an escaped action, no variables), and what it writes.
func escapedConstant(a *parse.ActionNode) (string, bool) {
	p := a.Pipe
	if p == nil || len(p.Decl) > 0 || p.IsAssign || len(p.Cmds) < 2 || len(p.Cmds[0].Args) != 1 {
		return "", false
	}
	str, ok := p.Cmds[0].Args[0].(*parse.StringNode)
	if !ok {
		return "", false
	}
	out := str.Text
	for _, c := range p.Cmds[1:] {
		if len(c.Args) != 1 {
			return "", false
		}
		id, ok := c.Args[0].(*parse.IdentifierNode)
		if !ok || !htmlEscapers[id.Ident] {
			return "", false
		}
		out = htmlReplacer.Replace(out)
	}
	return out, true
}

// translateStatic replaces, in every template of t's set, each call X.T
// "key" (a literal key, no arguments) with the string it returns in lang.
func translateStatic(t *template.Template, lang i18n.Lang) {
	if lang == "" {
		return
	}
	for _, x := range t.Templates() {
		if x.Tree != nil && x.Tree.Root != nil {
			translateNode(x.Tree.Root, lang)
		}
	}
}

func translateNode(n parse.Node, lang i18n.Lang) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			translateNode(c, lang)
		}
	case *parse.ActionNode:
		translateNode(n.Pipe, lang)
	case *parse.IfNode:
		translateBranch(&n.BranchNode, lang)
	case *parse.RangeNode:
		translateBranch(&n.BranchNode, lang)
	case *parse.WithNode:
		translateBranch(&n.BranchNode, lang)
	case *parse.TemplateNode:
		translateNode(n.Pipe, lang)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			translateNode(c, lang)
		}
	case *parse.ChainNode:
		translateNode(n.Node, lang)
	case *parse.CommandNode:
		if s, ok := staticText(n, lang); ok {
			n.Args = []parse.Node{&parse.StringNode{NodeType: parse.NodeString, Pos: n.Args[0].Position(), Quoted: strconv.Quote(s), Text: s}}
			return
		}
		for _, a := range n.Args {
			translateNode(a, lang)
		}
	}
}

func translateBranch(b *parse.BranchNode, lang i18n.Lang) {
	translateNode(b.Pipe, lang)
	translateNode(b.List, lang)
	translateNode(b.ElseList, lang)
}

// staticText reports whether cmd is X.T "key" (X any field or variable
// chain: the page's T is the only method of that name the templates see) and
// what it returns in lang.
func staticText(cmd *parse.CommandNode, lang i18n.Lang) (string, bool) {
	if len(cmd.Args) != 2 {
		return "", false
	}
	key, ok := cmd.Args[1].(*parse.StringNode)
	if !ok {
		return "", false
	}
	var ident []string
	switch f := cmd.Args[0].(type) {
	case *parse.FieldNode:
		ident = f.Ident
	case *parse.VariableNode:
		ident = f.Ident[1:] // $ or $name, then the fields
	default:
		return "", false
	}
	if len(ident) == 0 || ident[len(ident)-1] != "T" {
		return "", false
	}
	return i18n.T(lang, key.Text), true
}
