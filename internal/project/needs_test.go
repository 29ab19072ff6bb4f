package project_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/project"
	"github.com/luoshi/luoshi/internal/rating"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestNeeds follows a 群众点单 need from the public page to a project: a
// proposal with its receipt, votes (once per token, limited per address),
// the proposer following it, a unit outside scope unable to see or take it,
// a unit taking it into a project, and another declined with a reason.
func TestNeeds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, u := range []org.UnitInput{
			{Code: "c", Name: "一市委政法委", Kind: "city"},
			{Code: "k1", Name: "一县委政法委", Kind: "county", ParentCode: "c"},
			{Code: "k1-court", Name: "一县人民法院", Kind: "organ", ParentCode: "k1"},
			{Code: "k2", Name: "二县委政法委", Kind: "county", ParentCode: "c"},
		} {
			_, err := org.CreateUnit(ctx, db, setup, u)
			must(t, err)
		}
		for _, u := range []org.UserInput{
			{Username: "leader", Name: "赵院长", UnitCode: "k1-court", Roles: []org.RoleGrant{{Role: "leader"}}},
			{Username: "clerk", Name: "钱办事员", UnitCode: "k1-court", Roles: []org.RoleGrant{{Role: "handler"}}},
			{Username: "other", Name: "李其他", UnitCode: "k2", Roles: []org.RoleGrant{{Role: "handler"}}},
		} {
			u.Password = "pw-123456789"
			_, err := org.CreateUser(ctx, db, setup, u)
			must(t, err)
		}
		dir := t.TempDir()
		now := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		l := ledger.New(db, attach.New(dir))
		l.Clock = clock
		g := rating.New(db, l)
		g.Clock = clock
		s := project.New(db, attach.New(dir))
		s.Clock, s.Tokens = clock, g
		// a per-address counter like the reporting channel's buckets
		counts := map[string]int{}
		s.Limit = func(_ context.Context, _ *sql.Tx, action, addr string, max int) error {
			counts[action+addr]++
			if counts[action+addr] > max {
				return apperr.New(apperr.TooMany, "limited", "", "err.report.rate_limited")
			}
			return nil
		}
		clerk, other := principal(t, db, "clerk"), principal(t, db, "other")

		// bad input, each with its field
		for _, c := range []struct {
			in    project.NeedInput
			field string
		}{
			{project.NeedInput{Area: "worry", Title: "t", Body: "b"}, "unit_code"},
			{project.NeedInput{UnitCode: "k1-court", Area: "x", Title: "t", Body: "b"}, "area"},
			{project.NeedInput{UnitCode: "k1-court", Area: "worry", Body: "b"}, "title"},
			{project.NeedInput{UnitCode: "k1-court", Area: "worry", Title: "t", Body: "  "}, "body"},
			{project.NeedInput{UnitCode: "k1-court", Area: "worry", Title: "t", Body: strings.Repeat("长", 2001)}, "body"},
			{project.NeedInput{UnitCode: "nope", Area: "worry", Title: "t", Body: "b"}, "unit_code"},
		} {
			_, err := s.ProposeNeed(ctx, c.in, "10.0.0.9")
			if e := apperr.As(err); e == nil || e.Field != c.field {
				t.Errorf("%+v: error %v, want one on %s", c.in, err, c.field)
			}
		}

		in := project.NeedInput{UnitCode: "k1-court", Area: "worry", Title: "希望法院开通周末立案",
			Body: "上班族平时没空，周末能不能立案？联系电话 138 1234 5678", Place: "一县城关"}
		rc, err := s.ProposeNeed(ctx, in, "10.0.0.1")
		must(t, err)
		if rc.ID == 0 || len(rc.Receipt) != 12 || len(rc.Key) != 20 {
			t.Fatalf("receipt %+v", rc)
		}
		pub, err := s.PublicNeed(ctx, rc.ID)
		must(t, err)
		if strings.Contains(pub.Body, "1234 5678") || strings.Contains(pub.Body, "12345678") {
			t.Errorf("public body shows the phone number: %q", pub.Body)
		}

		// votes: once per token, within the address's allowance
		tok, err := s.VoteToken(ctx, rc.ID)
		must(t, err)
		n, err := s.VoteNeed(ctx, rc.ID, tok, "10.0.0.2")
		must(t, err)
		if n.Votes != 1 {
			t.Fatalf("votes %d", n.Votes)
		}
		_, err = s.VoteNeed(ctx, rc.ID, tok, "10.0.0.3")
		wantKey(t, err, "err.need.voted")
		_, err = s.VoteNeed(ctx, rc.ID, tok+"x", "10.0.0.3")
		wantKey(t, err, "err.rating.token")
		other2, err := s.VoteToken(ctx, rc.ID+1)
		must(t, err)
		_, err = s.VoteNeed(ctx, rc.ID, other2, "10.0.0.3") // a token of another need
		wantKey(t, err, "err.rating.token")
		for i := 0; i <= project.NeedVotesPerDay; i++ {
			tok, _ := s.VoteToken(ctx, rc.ID)
			_, err = s.VoteNeed(ctx, rc.ID, tok, "10.0.0.4")
		}
		wantKey(t, err, "err.report.rate_limited")
		list, total, err := s.PublicNeeds(ctx, "k1", project.NeedFilter{})
		must(t, err)
		if total != 1 || list[0].Votes != 1+project.NeedVotesPerDay {
			t.Fatalf("public list %d, %+v", total, list)
		}

		// following by receipt and key; a wrong key learns nothing
		got, err := s.FollowNeed(ctx, rc.Receipt, strings.ToLower(rc.Key), "10.0.0.1")
		must(t, err)
		if got.ID != rc.ID || got.Status != project.NeedOpen {
			t.Fatalf("followed %+v", got)
		}
		_, err = s.FollowNeed(ctx, rc.Receipt, strings.Repeat("A", 20), "10.0.0.1")
		wantKey(t, err, "err.need.follow")
		_, err = s.FollowNeed(ctx, "111111111111", rc.Key, "10.0.0.1")
		wantKey(t, err, "err.need.follow")

		// staff: in scope only
		if _, err := s.Need(ctx, other, rc.ID); err != apperr.ErrNotFound {
			t.Fatalf("outside scope: %v", err)
		}
		if l, _, err := s.Needs(ctx, other, project.NeedFilter{}); err != nil || len(l) != 0 {
			t.Fatalf("outside scope list %v %v", l, err)
		}
		if l, _, err := s.Needs(ctx, clerk, project.NeedFilter{Status: project.NeedOpen}); err != nil || len(l) != 1 ||
			!strings.Contains(l[0].Body, "138 1234 5678") {
			t.Fatalf("staff list %+v %v", l, err)
		}

		// 接单: a project that takes the need; outsiders cannot take it
		pin := project.Input{Title: "周末立案服务", Area: "worry", UnitCode: "k1-court", Leader: "leader", Handler: "clerk",
			Start: "2026-12-05", End: "2027-06-30", Public: true, NeedID: rc.ID}
		_, err = s.Create(ctx, other, pin)
		if apperr.As(err) == nil {
			t.Fatalf("outsider took the need: %v", err)
		}
		pr, err := s.Create(ctx, clerk, pin)
		must(t, err)
		got, err = s.Need(ctx, clerk, rc.ID)
		must(t, err)
		if got.Status != project.NeedTaken || got.ProjectID != pr.ID {
			t.Fatalf("after taking: %+v", got)
		}
		// the project is only proposed: the public does not see the link yet
		if pub, _ := s.PublicNeed(ctx, rc.ID); pub.ProjectID != 0 {
			t.Errorf("link to a proposed project shown to the public")
		}
		_, err = s.Create(ctx, clerk, pin) // taken twice
		wantKey(t, err, "err.need.not_open")
		tok, _ = s.VoteToken(ctx, rc.ID)
		_, err = s.VoteNeed(ctx, rc.ID, tok, "10.0.0.5")
		wantKey(t, err, "err.need.not_open")

		// declined with a reason the public sees
		rc2, err := s.ProposeNeed(ctx, project.NeedInput{UnitCode: "k1-court", Area: "benefit", Title: "法院门口修停车场",
			Body: "停车难"}, "10.0.0.1")
		must(t, err)
		_, err = s.DeclineNeed(ctx, clerk, rc2.ID, " ")
		wantKey(t, err, "err.need.reason_required")
		_, err = s.DeclineNeed(ctx, other, rc2.ID, "不属本院职责")
		if err != apperr.ErrNotFound {
			t.Fatalf("outsider declined: %v", err)
		}
		_, err = s.DeclineNeed(ctx, clerk, rc2.ID, "场地属城管部门，已转交")
		must(t, err)
		got, err = s.FollowNeed(ctx, rc2.Receipt, rc2.Key, "10.0.0.1")
		must(t, err)
		if got.Status != project.NeedDeclined || got.Answer != "场地属城管部门，已转交" {
			t.Fatalf("declined need as followed: %+v", got)
		}

		// every change is in the audit trail
		var k int
		must(t, db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('need.create', 'need.take', 'need.decline')`).Scan(&k))
		if k != 4 {
			t.Errorf("audit entries %d, want 4", k)
		}
	})
}
