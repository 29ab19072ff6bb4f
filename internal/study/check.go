package study

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/text"
)

const (
	// minEstimate is the estimated 3-gram Jaccard a candidate reflection
	// needs to be aligned at all; maxCandidates bounds the alignments.
	// Measured on generated reflections sharing the stock phrases of the
	// genre: the most similar independent text estimates 0.16 (median) to
	// 0.22 (99th percentile), a copy with 30% of its sentences rewritten
	// 0.34 at the least (docs/study.md).
	minEstimate   = 0.2
	maxCandidates = 10
)

// CheckScope says whose text is checked: their own versions of the same
// task are not sources, and the task's material is one.
type CheckScope struct {
	Author   int64
	Task     int64
	Material *Doc
}

// Check compares a text with the reference corpus, the task's material and
// the reflections the index proposes. It returns the result and the text's
// signature (stored with the reflection).
func (s *Service) Check(ctx context.Context, body string, sc CheckScope) (Result, text.Signature, error) {
	n := Normalize(body)
	sig := Sign(n)
	if err := s.refresh(ctx); err != nil {
		return Result{}, sig, err
	}
	refs, err := s.references(ctx)
	if err != nil {
		return Result{}, sig, err
	}
	docs := append([]*Doc(nil), refs...)
	if sc.Material != nil && sc.Material.Body != "" {
		docs = append(docs, sc.Material)
	}
	// On a resubmission, the reflections of the same task submitted after
	// the author's first version are not sources: whoever submitted first
	// is presumed the original, so an author copied by a colleague is not
	// flagged for revising their own text.
	var first int64
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 0) FROM study_reflections WHERE task_id = $1 AND user_id = $2`,
		sc.Task, sc.Author).Scan(&first); err != nil {
		return Result{}, sig, err
	}
	skip := func(d DocRef) bool {
		return d.Task == sc.Task && (d.Author == sc.Author || first != 0 && d.ID > first)
	}
	res, err := CheckWith(n, &sig, s.idx, docs, skip, func(c []Candidate) ([]*Doc, error) {
		return reflectionDocs(ctx, s.DB.Read, c)
	})
	return res, sig, err
}

// CheckWith is the check itself, with the storage left to the caller: the
// reduced text and its signature, the index of stored reflections, the
// sources always compared (reference corpus, material), which indexed
// reflections to skip and how to load the candidates' texts.
func CheckWith(n Norm, sig *text.Signature, idx *Index, always []*Doc, skip func(DocRef) bool,
	fetch func([]Candidate) ([]*Doc, error)) (Result, error) {
	cands := idx.Candidates(sig, minEstimate, maxCandidates, skip)
	more, err := fetch(cands)
	if err != nil {
		return Result{}, err
	}
	return Compare(n, append(append([]*Doc(nil), always...), more...)), nil
}

// refresh adds the reflections stored since the last refresh (by any node)
// to the index.
func (s *Service) refresh(ctx context.Context) error {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, user_id, task_id, signature FROM study_reflections WHERE id > $1 ORDER BY id`,
		s.idx.LastID())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d DocRef
		var b []byte
		if err := rows.Scan(&d.ID, &d.Author, &d.Task, &b); err != nil {
			return err
		}
		if sig, ok := sigFrom(b); ok {
			s.idx.Add(d, sig)
		}
	}
	return rows.Err()
}

func reflectionDocs(ctx context.Context, q store.Queryer, cands []Candidate) ([]*Doc, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	ph := make([]string, len(cands))
	args := make([]any, len(cands))
	for i, c := range cands {
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = c.ID
	}
	rows, err := q.QueryContext(ctx, `SELECT r.id, r.body, u.name, un.name, t.title FROM study_reflections r
		JOIN users u ON u.id = r.user_id JOIN units un ON un.id = r.unit_id JOIN study_tasks t ON t.id = r.task_id
		WHERE r.id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Doc
	for rows.Next() {
		d := &Doc{Kind: SourceReflection}
		var author, unit, task string
		if err := rows.Scan(&d.ID, &d.Body, &author, &unit, &task); err != nil {
			return nil, err
		}
		d.Key = "reflection:" + strconv.FormatInt(d.ID, 10)
		d.Title = fmt.Sprintf("%s（%s）·%s", author, unit, task)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Ref is a reference text of the corpus.
type Ref struct {
	Key         string `json:"key"`
	ID          int64  `json:"id"` // 0 for a built-in text
	Title       string `json:"title"`
	Chars       int    `json:"chars"`
	Builtin     bool   `json:"builtin"`
	CreatedBy   string `json:"created_by"`
	CreatedAt   int64  `json:"created_at"`
	WithdrawnAt int64  `json:"withdrawn_at"`
	Body        string `json:"-"`
}

// references returns the corpus: the built-in texts and the admins' texts
// not withdrawn, prepared once per change of the table.
func (s *Service) references(ctx context.Context) ([]*Doc, error) {
	var n, maxID, maxW int64
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(MAX(withdrawn_at), 0) FROM study_refs`).
		Scan(&n, &maxID, &maxW); err != nil {
		return nil, err
	}
	key := fmt.Sprint(n, maxID, maxW)
	s.refMu.Lock()
	defer s.refMu.Unlock()
	if s.refs != nil && s.refKey == key {
		return s.refs, nil
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, title, body FROM study_refs WHERE withdrawn_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	docs := append([]*Doc(nil), builtin...)
	for rows.Next() {
		d := &Doc{Kind: SourceReference}
		if err := rows.Scan(&d.ID, &d.Title, &d.Body); err != nil {
			return nil, err
		}
		d.Key = "reference:" + strconv.FormatInt(d.ID, 10)
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.refs, s.refKey = docs, key
	return docs, nil
}

// Refs lists the corpus (built-in first, then the admins' texts, withdrawn
// ones included) for the admins' page.
func (s *Service) Refs(ctx context.Context, p *org.Principal) ([]Ref, error) {
	if !CanManageCorpus(p) {
		return nil, apperr.ErrForbidden
	}
	var out []Ref
	for _, d := range builtin {
		out = append(out, Ref{Key: d.Key, Title: d.Title, Chars: CountChars(d.Body), Builtin: true, Body: d.Body})
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT r.id, r.title, r.body, u.name, r.created_at, COALESCE(r.withdrawn_at, 0)
		FROM study_refs r JOIN users u ON u.id = r.created_by ORDER BY r.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r Ref
		if err := rows.Scan(&r.ID, &r.Title, &r.Body, &r.CreatedBy, &r.CreatedAt, &r.WithdrawnAt); err != nil {
			return nil, err
		}
		r.Key = "reference:" + strconv.FormatInt(r.ID, 10)
		r.Chars = CountChars(r.Body)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Source returns the text of a match's source for the review page, if p
// may read it: reference texts always, the material when p may see the
// task, another reflection only when p may read that one.
func (s *Service) Source(ctx context.Context, p *org.Principal, key string) (title, body string, ok bool, err error) {
	kind, id, _ := strings.Cut(key, ":")
	switch kind {
	case SourceReference:
		if strings.HasPrefix(id, "seed-") {
			for _, d := range builtin {
				if d.Key == key {
					return d.Title, d.Body, true, nil
				}
			}
			return "", "", false, nil
		}
		n, _ := strconv.ParseInt(id, 10, 64)
		err = s.DB.Read.QueryRowContext(ctx, `SELECT title, body FROM study_refs WHERE id = $1`, n).Scan(&title, &body)
	case SourceMaterial:
		n, _ := strconv.ParseInt(id, 10, 64)
		t, e := s.Get(ctx, p, n) // the material of a task the reader cannot see stays hidden
		if apperr.As(e) != nil {
			return "", "", false, nil
		}
		if e != nil {
			return "", "", false, e
		}
		return t.Title, t.Material, true, nil
	case SourceReflection:
		n, _ := strconv.ParseInt(id, 10, 64)
		r, e := s.Reflection(ctx, p, n)
		if apperr.As(e) != nil {
			return "", "", false, nil
		}
		if e != nil {
			return "", "", false, e
		}
		return fmt.Sprintf("%s（%s）·%s", r.AuthorName, r.UnitName, r.TaskTitle), r.Body, true, nil
	default:
		return "", "", false, nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	return title, body, err == nil, err
}

// AddRef adds a reference text (admins).
func (s *Service) AddRef(ctx context.Context, p *org.Principal, title, body string) (Ref, error) {
	if !CanManageCorpus(p) {
		return Ref{}, apperr.ErrForbidden
	}
	title, body = strings.TrimSpace(title), strings.TrimSpace(body)
	if title == "" {
		return Ref{}, apperr.Invalidf("title", "err.study.title.required")
	}
	if !utf8.ValidString(title) || utf8.RuneCountInString(title) > maxTitle {
		return Ref{}, apperr.Invalidf("title", "err.study.too_long", maxTitle)
	}
	if !utf8.ValidString(body) {
		return Ref{}, apperr.Invalidf("body", "err.study.encoding")
	}
	if CountChars(body) < seedLen*5 {
		return Ref{}, apperr.Invalidf("body", "err.study.ref_short", seedLen*5)
	}
	if utf8.RuneCountInString(body) > 4*maxMaterial {
		return Ref{}, apperr.Invalidf("body", "err.study.too_long", 4*maxMaterial)
	}
	var r Ref
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		if err := tx.QueryRowContext(ctx, `INSERT INTO study_refs (title, body, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			title, body, p.UserID, now).Scan(&r.ID); err != nil {
			return err
		}
		r = Ref{Key: "reference:" + strconv.FormatInt(r.ID, 10), ID: r.ID, Title: title, Chars: CountChars(body), CreatedBy: p.Name, CreatedAt: now}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "study.ref_add", ObjectType: "study_ref",
			ObjectID: strconv.FormatInt(r.ID, 10), Detail: map[string]any{"title": title, "chars": r.Chars}})
		return err
	})
	return r, err
}

// WithdrawRef takes an admin's reference text out of the corpus (it stays
// in the table: earlier matches still name it).
func (s *Service) WithdrawRef(ctx context.Context, p *org.Principal, id int64) error {
	if !CanManageCorpus(p) {
		return apperr.ErrForbidden
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE study_refs SET withdrawn_at = $1 WHERE id = $2 AND withdrawn_at IS NULL`, s.now().UnixMilli(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.ErrNotFound
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "study.ref_withdraw", ObjectType: "study_ref",
			ObjectID: strconv.FormatInt(id, 10)})
		return err
	})
}
