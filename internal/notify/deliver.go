package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/store"
)

// Outgoing is one claimed outbox message, rendered for sending.
type Outgoing struct {
	ID       int64
	Channel  string
	Target   string // an email address, or the id of a notify_webhooks row
	Attempt  int    // 1 for the first try
	Rendered Rendered
}

// Sender delivers messages of one channel.
type Sender interface {
	Send(ctx context.Context, o Outgoing) error
}

// permanentError is a failure that retrying cannot fix (a removed robot, a
// refused address): the message is given up at once.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool { var p permanentError; return errors.As(err, &p) }

// SkippedPrefix starts last_error of a message no sender was configured for
// (email without --smtp-host): it is given up at once, never sent later.
const SkippedPrefix = "skipped: "

// Worker delivers due outbox messages. Any number of workers, on any number
// of nodes, may run at once on one database: each message is claimed in the
// statement that checks it is free, so exactly one worker sends it. A claim
// older than ClaimTimeout is free again, so a node killed mid-send loses nothing.
type Worker struct {
	DB      *store.DB
	Senders map[string]Sender // by channel; a channel without a sender is skipped
	BaseURL string
	Log     *slog.Logger
	Node    string

	ClaimTimeout time.Duration // default 5m; must exceed SendTimeout by a margin
	SendTimeout  time.Duration // default 1m: one message's send
	MaxAttempts  int           // default 8; then the message stays, unsent, with its last error
	Batch        int           // messages claimed per statement, default 10

	Now func() time.Time // for tests
}

// NewWorker returns a worker with the defaults and a random node name.
func NewWorker(db *store.DB, senders map[string]Sender, baseURL string, log *slog.Logger) *Worker {
	b := make([]byte, 6)
	rand.Read(b)
	return &Worker{DB: db, Senders: senders, BaseURL: baseURL, Log: log, Node: hex.EncodeToString(b)}
}

func (w *Worker) defaults() {
	if w.ClaimTimeout <= 0 {
		w.ClaimTimeout = 5 * time.Minute
	}
	if w.SendTimeout <= 0 || w.SendTimeout >= w.ClaimTimeout {
		w.SendTimeout = min(time.Minute, w.ClaimTimeout/3)
	}
	if w.MaxAttempts <= 0 {
		w.MaxAttempts = DefaultMaxAttempts
	}
	if w.Batch <= 0 {
		w.Batch = 10
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
}

// Backoff is the wait after the attempt-th failed try: 1, 2, 4 … minutes,
// at most 6 hours.
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 10 {
		return 6 * time.Hour
	}
	return min(time.Minute<<(attempt-1), 6*time.Hour)
}

// Stats counts what one Deliver run did.
type Stats struct {
	Sent, Retry, GaveUp, Skipped int
}

// Job is the scheduled delivery run, for the jobs runner.
func (w *Worker) Job() jobs.Job {
	return jobs.Job{Name: "notify_deliver", Every: time.Minute, Lease: 10 * time.Minute, Run: func(ctx context.Context) error {
		st, err := w.Deliver(ctx)
		if st != (Stats{}) {
			w.Log.Info("notifications delivered", "sent", st.Sent, "retry", st.Retry, "gave_up", st.GaveUp, "skipped", st.Skipped)
		}
		return err
	}}
}

// maxRounds bounds one run; what is left waits for the next.
const maxRounds = 200

// Deliver sends every due message it can claim, batch by batch, until none is left.
func (w *Worker) Deliver(ctx context.Context) (Stats, error) {
	w.defaults()
	var st Stats
	for range maxRounds {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		claimed, at, err := w.claim(ctx)
		if err != nil {
			return st, err
		}
		if len(claimed) == 0 {
			// On PostgreSQL a claim can come back empty while free rows remain:
			// the rows it picked were taken by a concurrent claimer between its
			// snapshot and its lock. Look again while any row is claimable.
			more, err := w.anyDue(ctx)
			if err != nil || !more {
				return st, err
			}
			select { // the other claimer commits in a moment
			case <-ctx.Done():
				return st, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		for i, c := range claimed {
			// a claim too old to finish a send within its timeout goes back,
			// so that no other worker takes it over while this one still sends
			if w.Now().Sub(time.UnixMilli(at))+w.SendTimeout >= w.ClaimTimeout {
				if err := w.release(ctx, claimed[i:], at); err != nil {
					return st, err
				}
				break
			}
			if err := w.deliverOne(ctx, c, at, &st); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

type claimedRow struct {
	id                       int64
	channel, target, subject string
	payload                  string
	attempts                 int
}

// claim takes up to Batch due messages in one statement. The outer WHERE
// repeats the conditions: a concurrent claimer that waited for a row re-checks
// them against the committed row and skips it.
func (w *Worker) claim(ctx context.Context) ([]claimedRow, int64, error) {
	now := w.Now().UnixMilli()
	stale := now - w.ClaimTimeout.Milliseconds()
	const due = `SELECT id FROM outbox WHERE sent_at IS NULL AND attempts < $3 AND next_attempt_at <= $1
		AND (claimed_at IS NULL OR claimed_at < $4) ORDER BY id LIMIT $5`
	const set = `UPDATE outbox SET claimed_at = $1, claimed_by = $2, attempts = attempts + 1 WHERE id IN `
	const recheck = ` AND sent_at IS NULL AND attempts < $3 AND (claimed_at IS NULL OR claimed_at < $4)
		RETURNING id, channel, target, subject, payload, attempts`
	// SQLite evaluates the IN list once, and one writer at a time runs it.
	q := set + `(` + due + `)` + recheck
	if w.DB.Dialect == store.Postgres {
		// PostgreSQL may rescan an IN subquery once per row it updates, each
		// scan skipping the rows just updated, so LIMIT would not bound the
		// claim: a MATERIALIZED CTE runs once. SKIP LOCKED lets claimers on
		// other nodes take other rows instead of queueing behind this one.
		q = `WITH due AS MATERIALIZED (` + due + ` FOR UPDATE SKIP LOCKED) ` + set + `(SELECT id FROM due)` + recheck
	}
	rows, err := w.DB.Write.QueryContext(ctx, q, now, w.Node, w.MaxAttempts, stale, w.Batch)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []claimedRow
	for rows.Next() {
		var c claimedRow
		if err := rows.Scan(&c.id, &c.channel, &c.target, &c.subject, &c.payload, &c.attempts); err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, now, rows.Err()
}

// anyDue reports whether some message is due and free to claim.
func (w *Worker) anyDue(ctx context.Context) (bool, error) {
	now := w.Now().UnixMilli()
	var n int
	err := w.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT id FROM outbox WHERE sent_at IS NULL AND attempts < $1
		AND next_attempt_at <= $2 AND (claimed_at IS NULL OR claimed_at < $3) LIMIT 1) due`,
		w.MaxAttempts, now, now-w.ClaimTimeout.Milliseconds()).Scan(&n)
	return n > 0, err
}

// release hands claimed messages back untried (the attempt is not counted).
func (w *Worker) release(ctx context.Context, cs []claimedRow, at int64) error {
	for _, c := range cs {
		if _, err := w.DB.Write.ExecContext(ctx, `UPDATE outbox SET claimed_at = NULL, claimed_by = NULL, attempts = attempts - 1
			WHERE id = $1 AND claimed_by = $2 AND claimed_at = $3 AND sent_at IS NULL`, c.id, w.Node, at); err != nil {
			return err
		}
	}
	return nil
}

func (w *Worker) deliverOne(ctx context.Context, c claimedRow, at int64, st *Stats) error {
	var m Message
	if err := json.Unmarshal([]byte(c.payload), &m); err != nil {
		return w.fail(ctx, c, at, Permanent(fmt.Errorf("unreadable payload: %v", err)), st)
	}
	s := w.Senders[c.channel]
	if s == nil {
		st.Skipped++
		return w.finish(ctx, c, at, `UPDATE outbox SET attempts = $1, last_error = $2, claimed_at = NULL, claimed_by = NULL`,
			w.MaxAttempts, SkippedPrefix+"channel "+c.channel+" is not configured")
	}
	o := Outgoing{ID: c.id, Channel: c.channel, Target: c.target, Attempt: c.attempts,
		Rendered: Render(m, w.BaseURL, i18n.T(i18n.Default, "msg.notify.footer"))}
	sctx, cancel := context.WithTimeout(ctx, w.SendTimeout)
	err := s.Send(sctx, o)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			// shutting down: leave the claim to expire rather than count a try we cut short
			return ctx.Err()
		}
		return w.fail(ctx, c, at, err, st)
	}
	st.Sent++
	return w.finish(ctx, c, at, `UPDATE outbox SET sent_at = $1, last_error = $2`, w.Now().UnixMilli(), "")
}

// finish applies set (which uses $1 and $2) to a message this worker still holds.
func (w *Worker) finish(ctx context.Context, c claimedRow, at int64, set string, a1, a2 any) error {
	res, err := w.DB.Write.ExecContext(ctx, set+` WHERE id = $3 AND claimed_by = $4 AND claimed_at = $5 AND sent_at IS NULL`,
		a1, a2, c.id, w.Node, at)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// the claim expired and another worker took the message over
		w.Log.Warn("notification claim lost before completion; the message may go out twice", "outbox_id", c.id, "channel", c.channel)
	}
	return nil
}

func (w *Worker) fail(ctx context.Context, c claimedRow, at int64, err error, st *Stats) error {
	msg := Redact(err.Error())
	if IsPermanent(err) || c.attempts >= w.MaxAttempts {
		st.GaveUp++
		w.Log.Warn("notification given up", "outbox_id", c.id, "channel", c.channel, "attempts", c.attempts, "err", msg)
		return w.finish(ctx, c, at, `UPDATE outbox SET attempts = $1, last_error = $2, claimed_at = NULL, claimed_by = NULL`,
			max(c.attempts, w.MaxAttempts), msg)
	}
	st.Retry++
	w.Log.Info("notification failed, will retry", "outbox_id", c.id, "channel", c.channel, "attempt", c.attempts, "err", msg)
	next := w.Now().Add(Backoff(c.attempts)).UnixMilli()
	res, err2 := w.DB.Write.ExecContext(ctx, `UPDATE outbox SET last_error = $1, next_attempt_at = $2, claimed_at = NULL, claimed_by = NULL
		WHERE id = $3 AND claimed_by = $4 AND claimed_at = $5 AND sent_at IS NULL`, msg, next, c.id, w.Node, at)
	if err2 != nil {
		return err2
	}
	if n, _ := res.RowsAffected(); n == 0 {
		w.Log.Warn("notification claim lost before completion", "outbox_id", c.id, "channel", c.channel)
	}
	return nil
}

var urlRE = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"']+`)

// Redact makes an error fit to store and show: webhook URLs carry their
// access token, so any URL is cut to its scheme and host; the text is capped.
func Redact(s string) string {
	s = urlRE.ReplaceAllStringFunc(s, func(u string) string {
		i := indexAfterScheme(u)
		host := u[i:]
		for j, r := range host {
			if r == '/' || r == '?' || r == '#' {
				host = host[:j]
				break
			}
		}
		if k := lastIndexByte(host, '@'); k >= 0 { // user:password@host
			host = host[k+1:]
		}
		return u[:i] + host + "/…"
	})
	const maxLen = 500
	if len(s) > maxLen {
		s = s[:maxLen]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}

func indexAfterScheme(u string) int {
	for i := 0; i+2 < len(u); i++ {
		if u[i] == ':' && u[i+1] == '/' && u[i+2] == '/' {
			return i + 3
		}
	}
	return 0
}

func lastIndexByte(s string, b byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == b {
			return i
		}
	}
	return -1
}
