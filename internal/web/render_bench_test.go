package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/luoshi/luoshi/internal/org"
)

// BenchmarkRender measures template execution alone (no database) for the
// pages the load test reads: a unit with 32 child units and 20 people, and a
// list of 50 people.
func BenchmarkRender(b *testing.B) {
	s := &Server{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	p := &org.Principal{UserID: 1, Name: "张三", UnitName: "青禾省委政法委",
		Grants: []org.Grant{{Role: org.RoleLeader, ScopePath: "/1/"}, {Role: org.RoleAdmin, ScopePath: "/1/"}}}
	unit := org.Unit{ID: 7, Code: "c01-k09-fy", Name: "一县人民法院", Kind: "organ", ParentCode: "c01-k09", Path: "/1/7/", CreatedAt: 1700000000000}
	var kids []org.Unit
	for i := range 32 {
		kids = append(kids, org.Unit{ID: int64(100 + i), Code: fmt.Sprintf("c01-k09-fy-d%02d", i), Name: fmt.Sprintf("第%d庭", i),
			Kind: "department", Path: fmt.Sprintf("/1/7/%d/", 100+i), Children: i % 3})
	}
	var people []org.User
	for i := range 50 {
		people = append(people, org.User{Username: fmt.Sprintf("user-%03d", i), Name: fmt.Sprintf("人员%d", i), UnitCode: "c01-k09-fy",
			UnitName: "一县人民法院", Roles: []org.RoleGrant{{Role: "officer"}, {Role: "handler"}}, Locked: i%7 == 0})
	}
	req := httptest.NewRequest("GET", "/units/c01-k09-fy", nil)
	newPg := func(nav string) *page {
		pg := &page{Lang: "zh", Title: "x", Nav: nav, P: p, UnitName: p.UnitName, URI: req.URL.RequestURI(), Fields: map[string]string{},
			CanUnits: true, CanUsers: true, CanAudit: true, CanAdmin: true}
		pg.Vals = map[string][]string{}
		return pg
	}
	b.Run("unit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			pg := newPg("units")
			pg.D = unitData{Unit: unit, Crumbs: []org.Unit{unit}, Children: pg.treeNodes(kids), ChildTotal: len(kids), People: pg.personRows(people[:20]), PeopleN: 297, CanEdit: true}
			s.render(httptest.NewRecorder(), req, 200, "unit", pg)
		}
	})
	b.Run("users", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			pg := newPg("users")
			pg.D = usersData{Users: pg.personRows(people), Pager: newPager(req, 0, 50, 297), CanEdit: true}
			s.render(httptest.NewRecorder(), req, 200, "users", pg)
		}
	})
}
