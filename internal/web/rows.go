package web

import "github.com/luoshi/luoshi/internal/org"

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
