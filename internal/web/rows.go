package web

import (
	"html/template"
	"net/url"
	"strings"
	"sync"

	"github.com/luoshi/luoshi/internal/org"
)

// Lists repeat the same few texts on every row. In a template each method call
// (.T, .RoleName, .KindName) costs a reflective method lookup and call, most of
// a long list's rendering time; rows therefore carry their texts translated
// in Go, and the templates only read fields.

// treeNode is a unit as the tree shows it (partial "tree_node").
type treeNode struct {
	U      org.Unit
	Kind   string // the kind's display name
	Expand string // the label of the toggle that opens the next level
}

func (p *page) treeNodes(units []org.Unit) []treeNode {
	if units == nil {
		return nil
	}
	out := make([]treeNode, len(units))
	expand := p.T("ui.units.expand")
	for i, u := range units {
		out[i] = treeNode{U: u, Kind: p.KindName(u.Kind), Expand: expand}
	}
	return out
}

// personRow is a person as the people lists show them. Its fields are copied
// rather than embedded: a promoted field costs text/template a search through
// the embedded structs on every access.
type personRow struct {
	Username, Name, UnitName string
	Disabled, Locked         bool
	RoleNames                []string // display names, in the order of the grants
	Status                   string   // disabled, locked or active, translated
}

func (p *page) personRows(users []org.User) []personRow {
	if users == nil {
		return nil
	}
	out := make([]personRow, len(users))
	disabled, locked, active := p.T("ui.user.disabled"), p.T("ui.user.locked"), p.T("ui.user.active")
	for i, u := range users {
		r := personRow{Username: u.Username, Name: u.Name, UnitName: u.UnitName, Disabled: u.Disabled, Locked: u.Locked,
			RoleNames: make([]string, len(u.Roles)), Status: active}
		for j, g := range u.Roles {
			r.RoleNames[j] = p.RoleName(g.Role)
		}
		switch {
		case u.Disabled:
			r.Status = disabled
		case u.Locked:
			r.Status = locked
		}
		out[i] = r
	}
	return out
}

// Long lists are written here rather than by html/template: every action of a
// template row is one or two reflective calls of an escaper (about 70
// allocations per table row), most of the CPU a unit or people page costs.
// The markup is the same as the templates had; every text goes through
// template.HTMLEscapeString and every path segment through url.PathEscape
// first, so nothing a user typed reaches the page unescaped.

// esc writes s escaped for HTML text and quoted attribute values.
func esc(b *strings.Builder, s string) { b.WriteString(template.HTMLEscapeString(s)) }

// escPath writes s as one escaped URL path segment inside an attribute.
func escPath(b *strings.Builder, s string) { esc(b, url.PathEscape(s)) }

// treeRows renders unit tree nodes (the markup of partial "tree_node").
func treeRows(nodes []treeNode) template.HTML {
	var b strings.Builder
	b.Grow(len(nodes) * 420)
	for i := range nodes {
		n := &nodes[i]
		b.WriteString(`<li class="tree-node">` + "\n  ")
		if n.U.Children != 0 {
			b.WriteString(`<button type="button" class="tree-toggle" aria-expanded="false" title="`)
			esc(&b, n.Expand)
			b.WriteString("\"\n    hx-get=\"/units/")
			escPath(&b, n.U.Code)
			b.WriteString(`/children" hx-trigger="click once" hx-target="next .tree-children" hx-swap="innerHTML"><span aria-hidden="true">▸</span><span class="sr-only">`)
			esc(&b, n.Expand)
			b.WriteString(`</span></button>`)
		} else {
			b.WriteString(`<span class="tree-leaf" aria-hidden="true">·</span>`)
		}
		b.WriteString("\n  <a href=\"/units/")
		escPath(&b, n.U.Code)
		b.WriteString(`">`)
		esc(&b, n.U.Name)
		b.WriteString(`</a> <span class="muted code">`)
		esc(&b, n.U.Code)
		b.WriteString(`</span>`)
		if n.U.Kind != "" {
			b.WriteString(` <span class="tag">`)
			esc(&b, n.Kind)
			b.WriteString(`</span>`)
		}
		b.WriteString("\n  ")
		if n.U.Children != 0 {
			b.WriteString(`<ul class="tree-children"></ul>`)
		}
		b.WriteString("\n</li>")
	}
	return template.HTML(b.String())
}

// peopleRows renders the table rows of a people list: name, username, unit,
// roles and, with status, the account's state.
func peopleRows(rows []personRow, status bool) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 360)
	for i := range rows {
		r := &rows[i]
		b.WriteString(`<tr><td><a href="/users/`)
		escPath(&b, r.Username)
		b.WriteString(`">`)
		esc(&b, r.Name)
		b.WriteString(`</a></td><td class="code">`)
		esc(&b, r.Username)
		b.WriteString(`</td><td>`)
		esc(&b, r.UnitName)
		b.WriteString(`</td><td>`)
		for _, n := range r.RoleNames {
			b.WriteString(`<span class="tag">`)
			esc(&b, n)
			b.WriteString(`</span> `)
		}
		b.WriteString(`</td>`)
		if status {
			b.WriteString(`<td>`)
			switch {
			case r.Disabled:
				b.WriteString(`<span class="tag tag-muted">`)
				esc(&b, r.Status)
				b.WriteString(`</span>`)
			case r.Locked:
				b.WriteString(`<span class="tag tag-warn">`)
				esc(&b, r.Status)
				b.WriteString(`</span>`)
			default:
				esc(&b, r.Status)
			}
			b.WriteString(`</td>`)
		}
		b.WriteString(`</tr>`)
	}
	return template.HTML(b.String())
}

// The side menu is the same for everyone with the same grants, language and
// active entry, and costs about fifty reflective template calls (a text, a
// permission check and a comparison per entry): it is rendered once per such
// key (template "menu" in layout.html) and kept. Every entry of the menu
// depends only on the principal's grants, so the key holds them all.
var menus struct {
	mu sync.RWMutex
	m  map[string]template.HTML
}

const menusKept = 4096 // distinct keys kept; the map starts over beyond

// Menu is the rendered side menu, or "" (the layout then renders it itself).
func (p *page) Menu() template.HTML {
	if p.P == nil {
		return ""
	}
	var k strings.Builder
	k.WriteString(string(p.Lang))
	k.WriteByte(0)
	k.WriteString(p.Nav)
	k.WriteByte(0)
	for _, b := range [...]bool{p.CanAudit, p.CanAdmin, p.CanUnits, p.CanUsers} {
		if b {
			k.WriteByte('1')
		} else {
			k.WriteByte('0')
		}
	}
	for _, g := range p.P.Grants {
		k.WriteByte(0)
		k.WriteString(string(g.Role))
		k.WriteByte(' ')
		k.WriteString(g.ScopePath)
	}
	key := k.String()
	menus.mu.RLock()
	h, ok := menus.m[key]
	menus.mu.RUnlock()
	if ok {
		return h
	}
	buf := getBuf()
	defer putBuf(buf)
	if err := templatesFor(p.Lang).partials.ExecuteTemplate(buf, "menu", p); err != nil {
		return ""
	}
	h = template.HTML(buf.String())
	menus.mu.Lock()
	if menus.m == nil || len(menus.m) >= menusKept {
		menus.m = map[string]template.HTML{}
	}
	menus.m[key] = h
	menus.mu.Unlock()
	return h
}
