package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/demo"
	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/notify"
	"github.com/luoshi/luoshi/internal/notify/notifytest"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web"
)

func TestDeliveryWorkerFollowsTheSMTPConfiguration(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))

	off := &config.Config{BaseURL: "https://luoshi.example.gov.cn"}
	w := deliveryWorker(db, off, log)
	if w.Senders[notify.Email] != nil || w.Senders[notify.DingTalk] == nil || w.Senders[notify.WeCom] == nil || w.Senders[notify.Feishu] == nil {
		t.Fatalf("without SMTP: %v", w.Senders)
	}
	if w.Job().Name != "notify_deliver" {
		t.Fatal(w.Job().Name)
	}

	on := &config.Config{BaseURL: "https://luoshi.example.gov.cn", SMTP: config.SMTP{Host: "smtp.example.gov.cn", Port: 465,
		User: "luoshi", Password: "the-smtp-password", From: "luoshi@example.gov.cn", TLS: "tls"}}
	w = deliveryWorker(db, on, log)
	m, ok := w.Senders[notify.Email].(*notify.Mailer)
	if !ok || m.Cfg.Host != "smtp.example.gov.cn" || m.Cfg.TLS != "tls" || m.Domain != "luoshi.example.gov.cn" {
		t.Fatalf("with SMTP: %#v", w.Senders[notify.Email])
	}
	if strings.Contains(logBuf.String(), "the-smtp-password") || !strings.Contains(logBuf.String(), "smtp.example.gov.cn:465") {
		t.Fatalf("log: %s", logBuf.String())
	}
}

// Two luoshi serve nodes (built in-process as serve builds them: web server,
// ledger job, delivery job) share one database loaded with the demo. Both run
// their due jobs at once, then both deliver at once: every reminder digest
// reaches the SMTP sink exactly once.
func TestTwoServersSendEachReminderOnce(t *testing.T) {
	for _, d := range storetest.Engines(t) {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			url := storetest.URL(t, d)
			sink := notifytest.NewSMTPSink(t, nil, "")
			log := slog.New(slog.DiscardHandler)
			type node struct {
				srv    *web.Server
				runner *jobs.Runner
				worker *notify.Worker
			}
			var nodes [2]node
			for i := range nodes {
				db, err := store.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				cfg := &config.Config{BaseURL: "https://luoshi.example.gov.cn", DataDir: t.TempDir(),
					SMTP: config.SMTP{Host: "127.0.0.1", Port: sink.Port(), From: "落实平台 <luoshi@example.gov.cn>", TLS: "none"}}
				srv := web.New(db, cfg, log)
				w := deliveryWorker(db, cfg, log)
				w.Batch = 2 // small claims: the nodes interleave
				nodes[i] = node{srv: srv, runner: jobs.NewRunner(db, log, srv.Metrics, srv.Ledger.Job(log), w.Job()), worker: w}
				if i == 0 {
					if _, err := demo.Load(ctx, db, ""); err != nil {
						t.Fatal(err)
					}
					if _, err := demo.LoadLedger(ctx, db, srv.Ledger); err != nil {
						t.Fatal(err)
					}
					if _, err := db.Write.ExecContext(ctx, `UPDATE users SET email = username || '@example.gov.cn'`); err != nil {
						t.Fatal(err)
					}
				}
			}
			both := func(fn func(i int, n node)) {
				var wg sync.WaitGroup
				for i, n := range nodes {
					wg.Go(func() { fn(i, n) })
				}
				wg.Wait()
			}
			both(func(_ int, n node) { n.runner.RunDue(ctx) })
			var sent [2]int
			both(func(i int, n node) {
				st, err := n.worker.Deliver(ctx)
				if err != nil {
					t.Error(err)
				}
				sent[i] = st.Sent
			})

			db := nodes[1].srv.DB
			var digests, unsent int
			db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications`).Scan(&digests)
			db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL OR attempts <> 1`).Scan(&unsent)
			if digests == 0 || unsent != 0 {
				t.Fatalf("%d digests, %d outbox rows not sent once", digests, unsent)
			}
			seen := map[string]int{}
			for _, m := range sink.Messages() {
				seen[notifytest.ParseMail(t, m.Data).Header.Get("Message-Id")+" "+strings.Join(m.To, ",")]++
			}
			if len(seen) != digests {
				t.Fatalf("%d distinct mails for %d digests", len(seen), digests)
			}
			for k, n := range seen {
				if n != 1 {
					t.Fatalf("%s arrived %d times", k, n)
				}
			}
			t.Logf("%s: %d digests; node A sent %d, node B sent %d", d, digests, sent[0], sent[1])

			// running again (a rerun, the other node) queues and sends nothing new
			if n, err := nodes[1].srv.Ledger.Escalate(ctx); err != nil || n != 0 {
				t.Fatalf("second escalation queued %d: %v", n, err)
			}
			both(func(_ int, n node) {
				if st, err := n.worker.Deliver(ctx); err != nil || st.Sent != 0 {
					t.Errorf("second delivery: %+v %v", st, err)
				}
			})
			if len(sink.Messages()) != digests {
				t.Fatalf("%d mails after the rerun", len(sink.Messages()))
			}
		})
	}
}
