package notify

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/notify/notifytest"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestMain(m *testing.M) {
	org.HashCost = password.Params{Memory: 1024, Time: 1, Threads: 1}
	os.Exit(m.Run())
}

var ctx = context.Background()

// fixture: p 省 → c 市, d 市.
//
//	admin (admin@p), cadmin (admin@c), clead (leader@c),
//	alice, bob (officers of c, with email), carol (officer of d, no email)
type fixture struct {
	db *store.DB
	p  map[string]*org.Principal
	id map[string]int64
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	sys := org.SystemPrincipal()
	f := &fixture{db: db, p: map[string]*org.Principal{}, id: map[string]int64{}}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		for _, u := range []org.UnitInput{
			{Code: "p", Name: "青禾省委政法委", Kind: "province"},
			{Code: "c", Name: "明川市委政法委", Kind: "city", ParentCode: "p"},
			{Code: "d", Name: "云岭市委政法委", Kind: "city", ParentCode: "p"},
		} {
			if _, err := org.CreateUnitTx(ctx, tx, sys, u); err != nil {
				return err
			}
		}
		for _, u := range []struct{ name, unit, role string }{
			{"admin", "p", "admin"}, {"cadmin", "c", "admin"}, {"clead", "c", "leader"},
			{"alice", "c", "officer"}, {"bob", "c", "officer"}, {"carol", "d", "officer"},
		} {
			if _, err := org.CreateUserTx(ctx, tx, nil, org.UserInput{Username: u.name, Name: "测试" + u.name, UnitCode: u.unit,
				Roles: []org.RoleGrant{{Role: u.role}}, Password: "correct-horse-9"}, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"admin", "cadmin", "clead", "alice", "bob", "carol"} {
		u, err := org.UserByUsername(ctx, db.Read, n)
		if err != nil {
			t.Fatal(err)
		}
		f.id[n] = u.ID
		if f.p[n], err = org.LoadPrincipal(ctx, db.Read, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	for n, e := range map[string]string{"alice": "alice@example.gov.cn", "bob": "bob@example.gov.cn"} {
		if err := org.SetEmail(ctx, db, f.p["admin"], n, e); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) queue(t *testing.T, user, day string) bool {
	t.Helper()
	var ok bool
	err := f.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		ok, err = Queue(ctx, tx, Digest{UserID: f.id[user], Day: day, Kind: "ledger.deadline", Title: day + " 台账提醒",
			Lines: []Line{{Text: user + " 的事项今天到期", Link: "/problems/7"}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

type outboxRow struct {
	channel, target string
	sent, next      int64
	attempts        int
	lastError       string
	claimedBy       string
}

func outboxRows(t *testing.T, db *store.DB) []outboxRow {
	t.Helper()
	rows, err := db.Read.QueryContext(ctx, `SELECT channel, target, COALESCE(sent_at, 0), next_attempt_at, attempts, last_error, COALESCE(claimed_by, '')
		FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.channel, &r.target, &r.sent, &r.next, &r.attempts, &r.lastError, &r.claimedBy); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func mailerFor(sink *notifytest.SMTPSink) *Mailer {
	return NewMailer(SMTP{Host: "127.0.0.1", Port: sink.Port(), From: "luoshi@example.gov.cn", TLS: TLSNone, Timeout: 5 * time.Second}, "test.invalid")
}

func TestDeliverySendsEveryChannelOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		sink := notifytest.NewSMTPSink(t, nil, "")
		robot := newRobotEndpoint(t, `{"errcode":0,"errmsg":"ok"}`)
		if _, err := AddWebhook(ctx, db, f.p["cadmin"], "c", WebhookInput{Kind: WeCom, URL: robot.URL + "/send?key=k"}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"alice", "bob", "carol"} {
			if !f.queue(t, u, "2026-12-02") {
				t.Fatalf("%s: not queued", u)
			}
		}
		// the same digest again (a rerun, another node) adds nothing
		if f.queue(t, "alice", "2026-12-02") {
			t.Fatal("queued twice")
		}
		w := NewWorker(db, map[string]Sender{Email: mailerFor(sink), WeCom: NewRobots(db)}, "https://luoshi.example", nil)
		st, err := w.Deliver(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// alice, bob: email + the robot of c; carol: neither (no email, d has no robot)
		if st.Sent != 4 || len(sink.Messages()) != 2 || robot.count() != 2 {
			t.Fatalf("stats %+v, %d mails, %d robot posts", st, len(sink.Messages()), robot.count())
		}
		for _, r := range outboxRows(t, db) {
			if r.sent == 0 || r.attempts != 1 || r.lastError != "" || r.claimedBy != w.Node {
				t.Fatalf("row %+v", r)
			}
		}
		pm := notifytest.ParseMail(t, sink.Messages()[0].Data)
		if !strings.Contains(pm.Text, "https://luoshi.example/problems/7") || !strings.Contains(pm.Text, "测试alice") {
			t.Fatalf("mail text %q", pm.Text)
		}
		if st, err := w.Deliver(ctx); err != nil || st != (Stats{}) {
			t.Fatalf("second run: %+v %v", st, err)
		}
	})
}

func TestDeliveryRetriesWithBackoffThenGivesUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		robot := newRobotEndpoint(t, `{"errcode":310000,"errmsg":"sign not match"}`)
		if _, err := AddWebhook(ctx, db, f.p["cadmin"], "c", WebhookInput{Kind: DingTalk, URL: robot.URL + "/robot/send?access_token=SECRET-TOKEN", Secret: "SECx"}); err != nil {
			t.Fatal(err)
		}
		f.queue(t, "carol", "2026-12-02") // no channel: only in-app
		db.Write.ExecContext(ctx, `UPDATE users SET unit_id = (SELECT id FROM units WHERE code = 'c') WHERE username = 'carol'`)
		f.queue(t, "carol", "2026-12-03")
		now := time.Now()
		w := NewWorker(db, map[string]Sender{DingTalk: NewRobots(db)}, "https://l", nil)
		w.MaxAttempts, w.Now = 3, func() time.Time { return now }
		for attempt := 1; attempt <= 3; attempt++ {
			st, err := w.Deliver(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rows := outboxRows(t, db)
			if len(rows) != 1 || rows[0].attempts != attempt || rows[0].sent != 0 || !strings.Contains(rows[0].lastError, "310000") ||
				strings.Contains(rows[0].lastError, "SECRET-TOKEN") {
				t.Fatalf("attempt %d: %+v", attempt, rows)
			}
			if attempt < 3 {
				if st.Retry != 1 || rows[0].next != now.Add(Backoff(attempt)).UnixMilli() {
					t.Fatalf("attempt %d: %+v next %d", attempt, st, rows[0].next)
				}
				// not due again before the backoff has passed
				if st, _ := w.Deliver(ctx); st != (Stats{}) {
					t.Fatalf("retried before its time: %+v", st)
				}
				now = now.Add(Backoff(attempt))
			} else if st.GaveUp != 1 {
				t.Fatalf("last attempt: %+v", st)
			}
		}
		// given up: it stays, unsent, with its error, and is never tried again
		robot.answer = `{"errcode":0,"errmsg":"ok"}`
		now = now.Add(48 * time.Hour)
		if st, _ := w.Deliver(ctx); st != (Stats{}) || robot.count() != 3 {
			t.Fatalf("tried after giving up: %+v, %d posts", st, robot.count())
		}
		failed, err := Failed(ctx, db, f.p["admin"], 0, 50)
		if err != nil || len(failed) != 1 || failed[0].Attempts != 3 || !strings.Contains(failed[0].LastError, "310000") {
			t.Fatalf("failed list: %+v %v", failed, err)
		}
	})
}

func TestEmailIsSkippedWithoutSMTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.queue(t, "alice", "2026-12-02")
		w := NewWorker(db, map[string]Sender{WeCom: NewRobots(db)}, "https://l", nil)
		st, err := w.Deliver(ctx)
		if err != nil || st.Skipped != 1 || st.Sent != 0 {
			t.Fatalf("%+v %v", st, err)
		}
		rows := outboxRows(t, db)
		if len(rows) != 1 || rows[0].sent != 0 || rows[0].attempts != w.MaxAttempts || !strings.HasPrefix(rows[0].lastError, SkippedPrefix) {
			t.Fatalf("%+v", rows)
		}
		// configuring SMTP later does not send stale reminders
		sink := notifytest.NewSMTPSink(t, nil, "")
		w.Senders[Email] = mailerFor(sink)
		if st, _ := w.Deliver(ctx); st != (Stats{}) || len(sink.Messages()) != 0 {
			t.Fatalf("skipped message sent later: %+v", st)
		}
	})
}

// insertOutbox adds n due messages straight into the outbox.
func insertOutbox(t *testing.T, db *store.DB, channel string, target func(i int) string, n int) {
	t.Helper()
	now := store.Now()
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			payload := fmt.Sprintf(`{"person":"p%d","title":"%s %d","lines":[{"text":"line %d","link":"/problems/%d"}]}`, i, channel, i, i, i)
			if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (channel, target, subject, payload, dedupe_key, created_at, next_attempt_at)
				VALUES ($1, $2, $3, $4, $5, $6, $6)`, channel, target(i), fmt.Sprintf("%s %d", channel, i), payload,
				fmt.Sprintf("%s:%d", channel, i), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Two workers, each with its own connection pool (as two luoshi serve
// processes have), race over the same due messages: each message arrives
// exactly once.
func TestTwoWorkersDeliverEachMessageExactlyOnce(t *testing.T) {
	for _, d := range storetest.Engines(t) {
		t.Run(string(d), func(t *testing.T) {
			url := storetest.URL(t, d)
			var dbs [2]*store.DB
			for i := range dbs {
				db, err := store.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.Migrate(ctx); err != nil { // both migrate at start, as nodes do
					t.Fatal(err)
				}
				dbs[i] = db
			}
			f := setup(t, dbs[0])
			robot := newRobotEndpoint(t, `{"code":0,"msg":"success"}`)
			h, err := AddWebhook(ctx, dbs[0], f.p["admin"], "c", WebhookInput{Kind: Feishu, URL: robot.URL + "/hook/x", Secret: "s"})
			if err != nil {
				t.Fatal(err)
			}
			const mails, posts = 120, 60
			insertOutbox(t, dbs[0], Email, func(i int) string { return fmt.Sprintf("u%d@example.gov.cn", i) }, mails)
			insertOutbox(t, dbs[0], Feishu, func(int) string { return fmt.Sprint(h.ID) }, posts)
			sink := notifytest.NewSMTPSink(t, nil, "")

			var workers [2]*Worker
			var stats [2]Stats
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range workers {
				workers[i] = NewWorker(dbs[i], map[string]Sender{Email: mailerFor(sink), Feishu: NewRobots(dbs[i])}, "https://l", nil)
				workers[i].Batch = 3
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					st, err := workers[i].Deliver(ctx)
					if err != nil {
						t.Error(err)
					}
					stats[i] = st
				}()
			}
			close(start)
			wg.Wait()

			seen := map[string]int{}
			for _, m := range sink.Messages() {
				seen[notifytest.ParseMail(t, m.Data).Header.Get("Message-Id")+" "+m.To[0]]++
			}
			robot.mu.Lock()
			for _, b := range robot.bodies {
				seen[b]++
			}
			robot.mu.Unlock()
			if len(seen) != mails+posts {
				t.Fatalf("%d distinct messages arrived, want %d", len(seen), mails+posts)
			}
			for k, n := range seen {
				if n != 1 {
					t.Fatalf("%q arrived %d times", k, n)
				}
			}
			if stats[0].Sent+stats[1].Sent != mails+posts || stats[0].Sent == 0 || stats[1].Sent == 0 {
				t.Fatalf("split %+v / %+v", stats[0], stats[1])
			}
			t.Logf("%s: worker A sent %d, worker B sent %d", d, stats[0].Sent, stats[1].Sent)
			for _, r := range outboxRows(t, dbs[1]) {
				if r.sent == 0 || r.attempts != 1 {
					t.Fatalf("row %+v", r)
				}
			}
		})
	}
}

// A worker that claims messages and dies never completes them; after the
// claim timeout another worker takes them over and sends each once.
func TestAbandonedClaimIsTakenOverAfterTimeout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		insertOutbox(t, db, Email, func(i int) string { return fmt.Sprintf("u%d@example.gov.cn", i) }, 5)
		sink := notifytest.NewSMTPSink(t, nil, "")
		dead := NewWorker(db, map[string]Sender{Email: mailerFor(sink)}, "https://l", nil)
		dead.defaults()
		claimed, at, err := dead.claim(ctx) // … and the node is killed here
		if err != nil || len(claimed) != 5 {
			t.Fatalf("claimed %d: %v", len(claimed), err)
		}
		now := time.Now()
		other := NewWorker(db, map[string]Sender{Email: mailerFor(sink)}, "https://l", nil)
		other.Now = func() time.Time { return now }
		if st, err := other.Deliver(ctx); err != nil || st != (Stats{}) {
			t.Fatalf("took over a live claim: %+v %v", st, err)
		}
		now = now.Add(5*time.Minute + time.Second) // past the default claim timeout
		st, err := other.Deliver(ctx)
		if err != nil || st.Sent != 5 || len(sink.Messages()) != 5 {
			t.Fatalf("take-over: %+v %v, %d mails", st, err, len(sink.Messages()))
		}
		for _, r := range outboxRows(t, db) {
			if r.sent == 0 || r.claimedBy != other.Node || r.attempts != 2 {
				t.Fatalf("row %+v", r)
			}
		}
		// the dead node coming back cannot mark what the other one completed
		if err := dead.finish(ctx, claimed[0], at, `UPDATE outbox SET sent_at = $1, last_error = $2`, int64(1), "late"); err != nil {
			t.Fatal(err)
		}
		if r := outboxRows(t, db)[0]; r.sent == 1 || r.lastError != "" {
			t.Fatalf("late completion overwrote the row: %+v", r)
		}
	})
}

// A claim takes at most Batch messages (PostgreSQL once took them all: see claim).
func TestClaimTakesAtMostABatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		insertOutbox(t, db, Email, func(i int) string { return fmt.Sprintf("u%d@example.gov.cn", i) }, 8)
		w := NewWorker(db, nil, "", nil)
		w.defaults()
		w.Batch = 3
		for _, want := range []int{3, 3, 2, 0} {
			c, _, err := w.claim(ctx)
			if err != nil || len(c) != want {
				t.Fatalf("claimed %d, want %d: %v", len(c), want, err)
			}
		}
	})
}

// slowSender takes its time and counts what it sent.
type slowSender struct {
	mu    sync.Mutex
	delay time.Duration
	sent  map[int64]int
}

func (s *slowSender) Send(ctx context.Context, o Outgoing) error {
	time.Sleep(s.delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent[o.ID]++
	return nil
}

// A batch whose claim grows too old to finish another send hands the rest
// back untried, and claims them afresh.
func TestSlowBatchHandsBackWhatItCannotFinish(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		insertOutbox(t, db, Email, func(i int) string { return fmt.Sprintf("u%d@example.gov.cn", i) }, 6)
		s := &slowSender{delay: 60 * time.Millisecond, sent: map[int64]int{}}
		w := NewWorker(db, map[string]Sender{Email: s}, "https://l", nil)
		w.ClaimTimeout, w.SendTimeout, w.Batch = 400*time.Millisecond, 150*time.Millisecond, 6
		st, err := w.Deliver(ctx)
		if err != nil || st.Sent != 6 || len(s.sent) != 6 {
			t.Fatalf("%+v %v %v", st, err, s.sent)
		}
		for id, n := range s.sent {
			if n != 1 {
				t.Fatalf("message %d sent %d times", id, n)
			}
		}
		for _, r := range outboxRows(t, db) {
			if r.attempts != 1 { // a hand-back does not count as a try
				t.Fatalf("row %+v", r)
			}
		}
	})
}

func TestMessagesToARemovedRobotAreGivenUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		robot := newRobotEndpoint(t, `{"errcode":0,"errmsg":"ok"}`)
		h, err := AddWebhook(ctx, db, f.p["cadmin"], "c", WebhookInput{Kind: WeCom, URL: robot.URL + "/send?key=k"})
		if err != nil {
			t.Fatal(err)
		}
		f.queue(t, "carol", "2026-12-02") // carol is in d: nothing goes out
		db.Write.ExecContext(ctx, `UPDATE users SET email = NULL`)
		f.queue(t, "alice", "2026-12-02")
		if err := DeleteWebhook(ctx, db, f.p["cadmin"], "c", h.ID); err != nil {
			t.Fatal(err)
		}
		st, err := NewWorker(db, map[string]Sender{WeCom: NewRobots(db)}, "https://l", nil).Deliver(ctx)
		rows := outboxRows(t, db)
		if err != nil || st.GaveUp != 1 || robot.count() != 0 || len(rows) != 1 || rows[0].lastError != "the robot was removed" {
			t.Fatalf("%+v %v %+v", st, err, rows)
		}
	})
}
