package report

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

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

func (r *Reports) submit(ctx context.Context, self *org.Principal, in Input, files []Upload, addr string) (Receipt, error) {
	in.Normalize()
	if err := in.Validate(); err != nil {
		return Receipt{}, err
	}
	cleaned, err := r.cleanFiles(files)
	if err != nil {
		return Receipt{}, err
	}
	key := NewKey()
	keyHash := HashKey(key) // the slow part, outside the transaction
	today := r.today()
	ackDue, err := r.workdaysAfter(ctx, today, r.Rules.AckDays)
	if err != nil {
		return Receipt{}, err
	}
	wrapped, err := r.Seal.NewKey()
	if err != nil {
		return Receipt{}, err
	}
	var out Receipt
	err = r.DB.Tx(ctx, func(tx *sql.Tx) error {
		if self == nil {
			if err := r.limit(ctx, tx, "submit", addr, r.Rules.PerDay); err != nil {
				return err
			}
		}
		unit, err := org.UnitByCode(ctx, tx, in.UnitCode)
		if err != nil || unit.Closed {
			return apperr.Invalidf("unit_code", "err.report.unit_code.unknown", in.UnitCode)
		}
		handling, err := handlingUnit(ctx, tx, unit)
		if err != nil {
			return err
		}
		named, err := matchNamed(ctx, tx, handling, in.Accused, self)
		if err != nil {
			return err
		}
		handling, err = recuseLeaders(ctx, tx, handling, named)
		if err != nil {
			return err
		}
		n, err := store.Next(ctx, tx, "report-"+strconv.Itoa(today.Year()))
		if err != nil {
			return err
		}
		out.Number = fmt.Sprintf("JB-%d-%06d", today.Year(), n)
		out.Key = key
		sealed, err := r.sealJSON(wrapped, out.Number, "content", Sealed{Subject: in.Subject, Content: in.Content,
			When: in.When, Where: in.Where, Accused: in.Accused})
		if err != nil {
			return err
		}
		var identity []byte
		if in.Reporter != nil {
			if identity, err = r.sealJSON(wrapped, out.Number, "identity", in.Reporter); err != nil {
				return err
			}
		}
		channel := "public"
		actor := Public
		if self != nil {
			channel, actor = "self", self.Actor()
		}
		now := r.now().UnixMilli()
		var id int64
		for range 5 { // a receipt collision is rare; draw again
			out.Receipt = NewReceipt()
			var exists int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM reports WHERE receipt = $1`, out.Receipt).Scan(&exists); err != nil {
				return err
			}
			if exists == 0 {
				break
			}
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO reports (number, receipt, key_hash, channel, category, unit_id, handling_unit_id,
			status, real_name, wrapped_key, sealed, identity, received_on, ack_due, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
			out.Number, out.Receipt, keyHash, channel, in.Category, unit.ID, handling.ID, string(Received),
			boolInt(in.Reporter != nil), wrapped, sealed, identity, calendar.FormatDay(today), ackDue, now).Scan(&id)
		if err != nil {
			return err
		}
		for _, nm := range named {
			if _, err := tx.ExecContext(ctx, `INSERT INTO report_named (report_id, user_id, unit_path) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, id, nm.UserID, nm.UnitPath); err != nil {
				return err
			}
		}
		ev, err := r.addEvent(ctx, tx, id, out.Number, wrapped, event{Kind: "submitted", Public: true, Actor: actorID(self)})
		if err != nil {
			return err
		}
		for _, f := range cleaned {
			if err := r.writeSealed(ctx, tx, wrapped, out.Number, id, ev, f); err != nil {
				return err
			}
		}
		// The audit entry names the report, never its content or its reporter.
		_, err = audit.Append(ctx, tx, audit.Event{Actor: actor, Action: "report.submit", ObjectType: "report",
			ObjectID: out.Number, UnitID: handling.ID, Detail: map[string]any{"category": in.Category, "channel": channel,
				"files": len(cleaned), "real_name": in.Reporter != nil}})
		return err
	})
	if err != nil {
		return Receipt{}, err
	}
	return out, nil
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
