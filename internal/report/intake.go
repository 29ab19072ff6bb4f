package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// Receipt is what a reporter gets back, once: the receipt and the key.
type Receipt struct {
	Number  string `json:"-"`
	Receipt string `json:"receipt"`
	Key     string `json:"key"`
}

// Public is the actor the audit trail names for anonymous submissions.
var Public = audit.Actor{Name: "public"}

// cleanFiles checks the count and size of uploads and cleans each one, before
// anything is written.
func (r *Reports) cleanFiles(files []Upload) ([]CleanFile, error) {
	if len(files) > MaxFiles {
		return nil, apperr.Invalidf("evidence", "err.report.files.too_many", MaxFiles)
	}
	out := make([]CleanFile, 0, len(files))
	for _, f := range files {
		if len(f.Data) > MaxFileSize {
			return nil, apperr.Invalidf("evidence", "err.report.files.too_large", f.Name, MaxFileSize>>20)
		}
		if len(f.Data) == 0 {
			return nil, apperr.Invalidf("evidence", "err.report.files.empty", f.Name)
		}
		c, err := r.Clean(f.Name, f.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Submit takes a public report. addr is the client address, used only for a
// salted rate-limit bucket (never stored). The report is committed durably
// before Submit returns; the receipt and key are shown once and never again.
func (r *Reports) Submit(ctx context.Context, in Input, files []Upload, addr string) (Receipt, error) {
	return r.submit(ctx, nil, in, files, addr)
}

// SelfReport takes an officer's report of his own violation (自查自纠),
// handled under 自查从宽. The officer is named in it, so he cannot see it as a
// lead; he follows it with the receipt like any reporter.
func (r *Reports) SelfReport(ctx context.Context, p *org.Principal, in Input, files []Upload) (Receipt, error) {
	if p == nil {
		return Receipt{}, apperr.ErrUnauthorized
	}
	in.Reporter = nil
	in.Accused = []Accused{{Name: p.Name}}
	return r.submit(ctx, p, in, files, "")
}

// pending is a submission prepared outside any transaction: validated,
// routed, cleaned, sealed, its files written and its key hashed. Only rows
// remain, so the single writer spends its time on SQL alone.
type pending struct {
	self     *org.Principal
	in       Input
	addr     string
	unitID   int64
	handling int64       // the unit whose discipline office takes it
	named    []org.Named // the people it names, for recusal
	receipt  string
	keyHash  string
	wrapped  []byte
	sealed   []byte
	identity []byte
	files    []sealedFile
	ackDue   string
	today    time.Time

	id     int64  // set by the commit
	number string // set by the commit
	err    error
	done   chan struct{}
	trace  *stamps // nil unless the intake is traced (trace.go)
}

// dueCache keeps the acknowledgement day of today's submissions for a moment:
// it depends on the timers and the calendar, two reads per submission
// otherwise. SetTimers clears it; a change on another node or to the
// calendar is seen within dueTTL.
type dueCache struct {
	mu         sync.Mutex
	day, value string
	at         time.Time
}

const dueTTL = 2 * time.Second

func (r *Reports) ackDue(ctx context.Context) (string, error) {
	day := calendar.FormatDay(r.today())
	c := &r.acks
	c.mu.Lock()
	if c.day == day && time.Since(c.at) < dueTTL {
		v := c.value
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	v, err := r.due(ctx, ackDays)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.day, c.value, c.at = day, v, time.Now()
	c.mu.Unlock()
	return v, nil
}

func (c *dueCache) clear() {
	c.mu.Lock()
	c.day = ""
	c.mu.Unlock()
}

// errCollision asks for a fresh receipt (two reports drew the same one).
var errCollision = errors.New("report: receipt collision")

func (r *Reports) submit(ctx context.Context, self *org.Principal, in Input, files []Upload, addr string) (Receipt, error) {
	var st *stamps
	if tracer != nil {
		st = &stamps{}
		st.mark(atStart)
		defer tracer.submission(st)
	}
	in.Normalize()
	if err := in.Validate(); err != nil {
		return Receipt{}, err
	}
	cleaned, err := r.cleanFiles(files)
	if err != nil {
		return Receipt{}, err
	}
	st.mark(atChecked)
	unit, handling, named, err := route(ctx, r.DB.Read, in, self)
	if err != nil {
		return Receipt{}, err
	}
	key := NewKey()
	today := r.today()
	ackDue, err := r.ackDue(ctx)
	if err != nil {
		return Receipt{}, err
	}
	st.mark(atRouted)
	p := &pending{self: self, in: in, addr: addr, unitID: unit.ID, handling: handling.ID, named: named,
		keyHash: HashKey(key), ackDue: ackDue, today: today, trace: st}
	st.mark(atHashed)
	for range 3 {
		p.receipt, p.files, p.err = NewReceipt(), nil, nil
		if p.wrapped, err = r.Seal.NewKey(); err != nil {
			return Receipt{}, err
		}
		if p.sealed, err = r.sealJSON(p.wrapped, p.receipt, "content", Sealed{Subject: in.Subject, Content: in.Content,
			When: in.When, Where: in.Where, Accused: in.Accused}); err != nil {
			return Receipt{}, err
		}
		p.identity = nil
		if in.Reporter != nil {
			if p.identity, err = r.sealJSON(p.wrapped, p.receipt, "identity", in.Reporter); err != nil {
				return Receipt{}, err
			}
		}
		for _, f := range cleaned {
			sf, err := r.storeFile(ctx, p.wrapped, p.receipt, f)
			if err != nil {
				return Receipt{}, err
			}
			p.files = append(p.files, sf)
		}
		st.mark(atSealed)
		r.commitGrouped(p)
		st.mark(atWoke)
		if !errors.Is(p.err, errCollision) {
			break
		}
	}
	if p.err != nil {
		return Receipt{}, p.err
	}
	return Receipt{Number: p.number, Receipt: p.receipt, Key: key}, nil
}

// commitGrouped commits p together with whatever other submissions are
// waiting: one transaction, so one durable flush (fsync), for many reports.
// A committer goroutine, started when the first submission finds none
// running, keeps committing batches until the queue is empty; every
// submitter waits only for its own batch. (The committer used to be the
// first submitter itself: under steady load the queue never emptied, and
// that one request waited for the whole run, 19.7 s on PostgreSQL.) Nothing
// is acknowledged before its batch is committed.
func (r *Reports) commitGrouped(p *pending) {
	p.done = make(chan struct{})
	p.trace.mark(atQueued)
	g := &r.group
	g.mu.Lock()
	g.queue = append(g.queue, p)
	if !g.running {
		g.running = true
		go r.drain()
	}
	g.mu.Unlock()
	<-p.done
}

// drain commits the queued submissions, a batch at a time, until none is left.
func (r *Reports) drain() {
	g := &r.group
	for {
		g.mu.Lock()
		batch := g.queue
		if len(batch) > maxBatch {
			batch = batch[:maxBatch]
		}
		g.queue = g.queue[len(batch):]
		if len(batch) == 0 {
			g.queue = nil // let the backing array go
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		r.commitBatch(batch)
		for _, b := range batch {
			close(b.done)
		}
	}
}

const maxBatch = 128

// commitBatch writes a batch in one transaction: a handful of multi-row
// statements for the whole batch (batch.go). Should any of them fail (a
// receipt drawn twice, a unit deleted meanwhile), the transaction is rolled
// back and the batch is written again one submission at a time, each in a
// savepoint of its own, so the one that fails fails alone. A failed commit
// fails them all.
func (r *Reports) commitBatch(batch []*pending) {
	ctx := context.Background() // the batch outlives any one request
	start := time.Now()
	for _, p := range batch {
		if p.trace != nil {
			p.trace.at[atPicked], p.trace.batch = start, len(batch)
		}
	}
	err := r.commitOnce(ctx, batch, start)
	if tracer != nil {
		now := time.Now()
		for _, p := range batch {
			if p.trace != nil {
				p.trace.at[atCommitted] = now
			}
		}
	}
	if err == nil {
		return
	}
	for _, p := range batch {
		p.err, p.id, p.number = nil, 0, ""
	}
	err = r.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, p := range batch {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT sub`); err != nil {
				return err
			}
			p.err = r.insert(ctx, tx, p)
			if p.err != nil {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT sub`); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT sub`); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, p := range batch {
			if p.err == nil {
				p.err = err
			}
		}
	}
}

// commitOnce is DB.Tx around insertBatch, timed for the trace.
func (r *Reports) commitOnce(ctx context.Context, batch []*pending, start time.Time) error {
	tx, err := r.DB.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	var begun, inserted time.Time
	if tracer != nil {
		begun = time.Now()
	}
	if err := r.insertBatch(ctx, tx, batch); err != nil {
		tx.Rollback()
		return err
	}
	if tracer != nil {
		inserted = time.Now()
	}
	err = tx.Commit()
	if tracer != nil {
		tracer.batch(start, begun, inserted, time.Now(), len(batch))
	}
	return err
}

// route finds the unit a report is about, the unit whose discipline office
// takes it and the people it names. It reads outside the writer, before the
// submission queues for the commit: what it reads is the state of a moment
// before the commit, as if the submission had arrived that moment earlier.
func route(ctx context.Context, q store.Queryer, in Input, self *org.Principal) (unit, handling org.Unit, named []org.Named, err error) {
	unit, err = org.UnitByCode(ctx, q, in.UnitCode)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return // the database failing is not the reporter's mistake: 503, not 400
	}
	if err != nil || unit.Closed {
		return unit, handling, nil, apperr.Invalidf("unit_code", "err.report.unit_code.unknown", in.UnitCode)
	}
	if handling, err = handlingUnit(ctx, q, unit); err != nil {
		return
	}
	if named, err = matchNamed(ctx, q, handling, in.Accused, self); err != nil {
		return
	}
	handling, err = recuseLeaders(ctx, q, handling, named)
	return
}

// insert writes one prepared submission's rows (the slow path of commitBatch).
func (r *Reports) insert(ctx context.Context, tx *sql.Tx, p *pending) error {
	in := p.in
	if p.self == nil {
		if err := r.limit(ctx, tx, "submit", p.addr, r.Rules.PerDay); err != nil {
			return err
		}
	}
	n, err := store.Next(ctx, tx, "report-"+strconv.Itoa(p.today.Year()))
	if err != nil {
		return err
	}
	p.number = reportNumber(p.today.Year(), n)
	channel, actor := p.channel()
	now := r.now().UnixMilli()
	err = tx.QueryRowContext(ctx, `INSERT INTO reports (number, receipt, key_hash, channel, category, unit_id, handling_unit_id,
		status, real_name, wrapped_key, sealed, identity, received_on, ack_due, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
		p.number, p.receipt, p.keyHash, channel, in.Category, p.unitID, p.handling, string(Received),
		boolInt(in.Reporter != nil), p.wrapped, p.sealed, p.identity, calendar.FormatDay(p.today), p.ackDue, now).Scan(&p.id)
	if store.IsUniqueViolation(err) {
		return errCollision
	}
	if err != nil {
		return err
	}
	for _, nm := range p.named {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_named (report_id, user_id, unit_path) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, p.id, nm.UserID, nm.UnitPath); err != nil {
			return err
		}
	}
	ev, err := r.addEvent(ctx, tx, p.id, p.receipt, p.wrapped, event{Kind: "submitted", Public: true, Actor: actorID(p.self)})
	if err != nil {
		return err
	}
	for _, f := range p.files {
		if err := r.insertFile(ctx, tx, p.id, ev, f); err != nil {
			return err
		}
	}
	_, err = audit.Append(ctx, tx, p.auditEvent(actor, channel))
	return err
}

func reportNumber(year int, n int64) string { return fmt.Sprintf("JB-%d-%06d", year, n) }

// channel is how the report came in, and who the audit trail names for it.
func (p *pending) channel() (string, audit.Actor) {
	if p.self != nil {
		return "self", p.self.Actor()
	}
	return "public", Public
}

// auditEvent names the report, never its content or its reporter.
func (p *pending) auditEvent(actor audit.Actor, channel string) audit.Event {
	return audit.Event{Actor: actor, Action: "report.submit", ObjectType: "report",
		ObjectID: p.number, UnitID: p.handling, Detail: map[string]any{"category": p.in.Category, "channel": channel,
			"files": len(p.files), "real_name": p.in.Reporter != nil}}
}

func actorID(p *org.Principal) int64 {
	if p == nil {
		return 0
	}
	return p.UserID
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// handlingUnit is the unit whose discipline office takes a report about u: the
// organ u belongs to (a department's report goes to its organ), or u itself
// when u is an organ or a committee.
func handlingUnit(ctx context.Context, q store.Queryer, u org.Unit) (org.Unit, error) {
	for u.Kind == "department" && u.ParentID != 0 {
		p, err := org.UnitByID(ctx, q, u.ParentID)
		if err != nil {
			return u, err
		}
		u = p
	}
	return u, nil
}

// matchNamed finds the people a report names among the staff of the handling
// unit's subtree, by exact name. It errs on the side of protection: everyone
// with a matching name is recused. An officer's self-report names himself.
func matchNamed(ctx context.Context, q store.Queryer, handling org.Unit, accused []Accused, self *org.Principal) ([]org.Named, error) {
	var out []org.Named
	if self != nil {
		out = append(out, org.Named{UserID: self.UserID, UnitPath: self.UnitPath})
	}
	for _, a := range accused {
		if a.Name == "" {
			continue
		}
		args := []any{a.Name}
		arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
		rows, err := q.QueryContext(ctx, `SELECT u.id, un.path FROM users u JOIN units un ON un.id = u.unit_id
			WHERE u.name = $1 AND `+store.Subtree("un.path", handling.Path, arg), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var nm org.Named
			if err := rows.Scan(&nm.UserID, &nm.UnitPath); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, nm)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// recuseLeaders moves a report naming the handling unit's leader or deputy up
// to the parent unit's discipline office, as often as needed.
func recuseLeaders(ctx context.Context, q store.Queryer, handling org.Unit, named []org.Named) (org.Unit, error) {
	for handling.ParentID != 0 {
		leads := false
		for _, nm := range named {
			var c int
			if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_roles WHERE user_id = $1
				AND role IN ('leader', 'deputy') AND scope_unit_id = $2`, nm.UserID, handling.ID).Scan(&c); err != nil {
				return handling, err
			}
			if c > 0 {
				leads = true
				break
			}
		}
		if !leads {
			return handling, nil
		}
		p, err := org.UnitByID(ctx, q, handling.ParentID)
		if err != nil {
			return handling, err
		}
		handling = p
	}
	return handling, nil
}
