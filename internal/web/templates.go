package web

import (
	"html/template"
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
		set.pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	translateStatic(base, lang)
	set.partials = base
	return set
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
