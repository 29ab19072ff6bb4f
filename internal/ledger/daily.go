package ledger

import (
	"context"
	"database/sql"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/notify"
)

// Job is the ledger's scheduled work: relight every open item for the new
// day and send the day's reminders. It runs hourly; the lights only change
// when the day does, and the reminders are one digest per person per day
// however often it runs (notify.Queue deduplicates).
func (l *Ledger) Job(log *slog.Logger) jobs.Job {
	return jobs.Job{Name: "ledger_daily", Every: time.Hour, Lease: 30 * time.Minute, Run: func(ctx context.Context) error {
		n, err := l.RefreshLights(ctx)
		if err != nil {
			return err
		}
		sent, err := l.Escalate(ctx)
		if err != nil {
			return err
		}
		if log != nil {
			log.Info("ledger daily run", "relit", n, "digests", sent)
		}
		return nil
	}}
}

// TallyJob folds the pending count changes into the dashboard counts, so
// the delta tables stay short and the dashboard reads stay fast.
func (l *Ledger) TallyJob() jobs.Job {
	return jobs.Job{Name: "ledger_tally", Every: time.Minute, Lease: 5 * time.Minute, Run: l.CompactTally}
}

// lightRow is what relighting needs of an item.
type lightRow struct {
	id              int64
	status          Status
	start, deadline string
	percent         int
	light           string
}

const lightBatch = 2000

// RefreshLights recomputes the light of every item still owing work and
// writes the ones that changed; it returns how many changed.
func (l *Ledger) RefreshLights(ctx context.Context) (int, error) {
	cal, err := calendar.Load(ctx, l.DB)
	if err != nil {
		return 0, err
	}
	rules, err := l.Rules(ctx)
	if err != nil {
		return 0, err
	}
	today := l.today()
	changed := 0
	var after int64
	// Batches walk the primary key. status || '' keeps the status index
	// out of it: through that index each batch re-read every unclosed item
	// before id > $1 (quadratic over a million items).
	for {
		rows, err := l.DB.Read.QueryContext(ctx, `SELECT id, status, start_day, COALESCE(deadline, ''), percent, light FROM problems
			WHERE (status || '') IN ('open', 'in_progress', 'reopened', 'pending_verification', 'draft') AND id > $1 ORDER BY id LIMIT $2`, after, lightBatch)
		if err != nil {
			return changed, err
		}
		type change struct {
			id    int64
			light string
		}
		var changes []change
		n := 0
		for rows.Next() {
			var r lightRow
			if err := rows.Scan(&r.id, &r.status, &r.start, &r.deadline, &r.percent, &r.light); err != nil {
				rows.Close()
				return changed, err
			}
			n++
			after = r.id
			if nl := LightOf(today, day(r.start), day(r.deadline), r.percent, r.status, cal, rules); nl != r.light {
				changes = append(changes, change{r.id, nl})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return changed, err
		}
		if len(changes) > 0 {
			// one statement per light: UPDATE … WHERE id IN (…)
			err := l.DB.Tx(ctx, func(tx *sql.Tx) error {
				for _, light := range Lights {
					var ids []string
					for _, c := range changes {
						if c.light == light {
							ids = append(ids, strconv.FormatInt(c.id, 10))
						}
					}
					if len(ids) == 0 {
						continue
					}
					if _, err := tx.ExecContext(ctx, `UPDATE problems SET light = $1 WHERE id IN (`+strings.Join(ids, ",")+`)`, light); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return changed, err
			}
			changed += len(changes)
		}
		if n < lightBatch {
			return changed, nil
		}
	}
}

// grantIndex maps a role to the users holding it at each scope path.
type grantIndex map[string]map[string][]int64

func (l *Ledger) loadGrants(ctx context.Context) (grantIndex, error) {
	rows, err := l.DB.Read.QueryContext(ctx, `SELECT ur.role, s.path, ur.user_id FROM user_roles ur
		JOIN units s ON s.id = ur.scope_unit_id JOIN users us ON us.id = ur.user_id
		WHERE ur.role IN ('leader', 'deputy', 'inspector') AND us.disabled_at IS NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	g := grantIndex{}
	for rows.Next() {
		var role, path string
		var id int64
		if err := rows.Scan(&role, &path, &id); err != nil {
			return nil, err
		}
		if g[role] == nil {
			g[role] = map[string][]int64{}
		}
		g[role][path] = append(g[role][path], id)
	}
	return g, rows.Err()
}

// nearest returns the holders of role at the deepest scope covering path;
// strict skips path itself (the parent unit's inspectors).
func (g grantIndex) nearest(role, path string, strict bool) []int64 {
	p := path
	if strict {
		p = parentPath(p)
	}
	for p != "" {
		if ids := g[role][p]; len(ids) > 0 {
			return ids
		}
		p = parentPath(p)
	}
	return nil
}

// parentPath turns "/1/7/42/" into "/1/7/"; the root's parent is "".
func parentPath(p string) string {
	t := strings.TrimSuffix(p, "/")
	i := strings.LastIndex(t, "/")
	if i <= 0 {
		return ""
	}
	return t[:i+1]
}

// queueBatch is how many people's digests one transaction queues.
const queueBatch = 500

// maxDigestLines caps one digest; the rest is summarised in one line.
const maxDigestLines = 50

// Escalate sends the day's reminders (一级抓一级): before the deadline to the
// responsible person, on it also to the deputy, after it also to the leader,
// and after the grace period also to the inspectors of the parent unit; look-
// backs due go to the inspectors in charge, and items under named supervision
// without a progress report within their interval to the responsible person
// and the supervising unit's inspectors. Each person gets one digest a
// day. It returns the number of digests newly queued.
func (l *Ledger) Escalate(ctx context.Context) (int, error) {
	cal, err := calendar.Load(ctx, l.DB)
	if err != nil {
		return 0, err
	}
	rules, err := l.Rules(ctx)
	if err != nil {
		return 0, err
	}
	grants, err := l.loadGrants(ctx)
	if err != nil {
		return 0, err
	}
	today := l.today()
	todayS := calendar.FormatDay(today)
	// A person's digest keeps its first maxDigestLines lines and counts the
	// rest. An item reaches a person once: the calls for one item come one
	// after another (last), and only supervised items can come again from
	// a later query (seen). A search through all of a person's lines per
	// line made this quadratic: a province inspector hears of most overdue
	// items, hundreds of thousands at full size.
	type digest struct {
		lines []notify.Line
		n     int
		last  string
	}
	lines := map[int64]*digest{}
	seen := map[[2]int64]bool{}
	add := func(ids []int64, item int64, again bool, text, link string) {
		for _, id := range ids {
			if id == 0 {
				continue
			}
			d := lines[id]
			if d == nil {
				d = &digest{}
				lines[id] = d
			}
			if d.last == link {
				continue
			}
			if again {
				k := [2]int64{id, item}
				if seen[k] {
					continue
				}
				seen[k] = true
			}
			d.last = link
			d.n++
			if len(d.lines) < maxDigestLines {
				d.lines = append(d.lines, notify.Line{Text: text, Link: link})
			}
		}
	}
	// Only items whose deadline is near or past can need a reminder: the
	// window is RemindDays working days ahead (at most two weeks of calendar).
	horizon := calendar.FormatDay(today.AddDate(0, 0, rules.RemindDays*2+14))
	rows, err := l.DB.Read.QueryContext(ctx, `SELECT pr.id, pr.number, pr.title, pr.deadline, pr.status, COALESCE(pr.responsible_id, 0), u.path,
		CASE WHEN pr.supervised_at IS NULL THEN 0 ELSE 1 END
		FROM problems pr JOIN units u ON u.id = pr.unit_id
		WHERE pr.status IN ('open', 'in_progress', 'reopened') AND pr.deadline IS NOT NULL AND pr.deadline <= $1`, horizon)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id, resp int64
		var number, title, deadline, status, path string
		var supervised int
		if err := rows.Scan(&id, &number, &title, &deadline, &status, &resp, &path, &supervised); err != nil {
			rows.Close()
			return 0, err
		}
		dl := day(deadline)
		level := ReminderLevel(today, dl, Status(status), cal, rules)
		if level == 0 {
			continue
		}
		link := "/problems/" + strconv.FormatInt(id, 10)
		var text string
		switch {
		case level == 1:
			text = i18n.T(i18n.Default, "msg.ledger.due_soon", number, title, deadline, cal.WorkdaysBetween(today, dl))
		case level == 2:
			text = i18n.T(i18n.Default, "msg.ledger.due_today", number, title)
		default:
			text = i18n.T(i18n.Default, "msg.ledger.overdue", number, title, -cal.WorkdaysBetween(today, dl), deadline)
		}
		again := supervised == 1 // the supervision query below may name it too
		add([]int64{resp}, id, again, text, link)
		if level >= 2 {
			add(grants.nearest("deputy", path, false), id, again, text, link)
		}
		if level >= 3 {
			add(grants.nearest("leader", path, false), id, again, text, link)
		}
		if level >= 4 {
			add(grants.nearest("inspector", path, true), id, again, text, link)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	// look-backs due today or earlier and not yet done
	rows, err = l.DB.Read.QueryContext(ctx, `SELECT pr.id, pr.number, pr.title, pr.review_due, u.path
		FROM problems pr JOIN units u ON u.id = pr.unit_id
		WHERE pr.status = 'closed' AND pr.review_result = '' AND pr.review_due <= $1`, todayS)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id int64
		var number, title, due, path string
		if err := rows.Scan(&id, &number, &title, &due, &path); err != nil {
			rows.Close()
			return 0, err
		}
		add(grants.nearest("inspector", path, false), id, false, i18n.T(i18n.Default, "msg.ledger.review_due", number, title, due),
			"/problems/"+strconv.FormatInt(id, 10))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	// items under named supervision whose progress report is overdue: the
	// responsible person and the supervising unit's inspectors hear of it
	rows, err = l.DB.Read.QueryContext(ctx, `SELECT pr.id, pr.number, pr.title, pr.supervise_days, COALESCE(pr.responsible_id, 0),
		COALESCE(su.path, ''), COALESCE((SELECT MAX(e.at) FROM problem_events e WHERE e.problem_id = pr.id AND e.kind = 'progress'), pr.supervised_at)
		FROM problems pr LEFT JOIN units su ON su.id = pr.supervise_unit_id
		WHERE pr.supervised_at IS NOT NULL AND pr.status IN ('open', 'in_progress', 'reopened')`)
	if err != nil {
		return 0, err
	}
	nowMs := l.nowMs()
	for rows.Next() {
		var id, resp, last int64
		var days int
		var number, title, supPath string
		if err := rows.Scan(&id, &number, &title, &days, &resp, &supPath, &last); err != nil {
			rows.Close()
			return 0, err
		}
		if days <= 0 || nowMs-last < int64(days)*24*3600*1000 {
			continue
		}
		text := i18n.T(i18n.Default, "msg.ledger.supervision_due", number, title, days)
		link := "/problems/" + strconv.FormatInt(id, 10)
		add([]int64{resp}, id, true, text, link)
		if supPath != "" {
			add(grants.nearest("inspector", supPath, false), id, true, text, link)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	queued := 0
	users := make([]int64, 0, len(lines))
	for id := range lines {
		users = append(users, id)
	}
	slices.Sort(users)
	// Digests are queued in transactions of queueBatch people: one commit
	// (and, on SQLite, one sync to disk) per person took most of the run
	// at full size. A failed batch is queued again by the next hourly run.
	for lo := 0; lo < len(users); lo += queueBatch {
		n := 0
		err := l.DB.Tx(ctx, func(tx *sql.Tx) error {
			n = 0
			for _, uid := range users[lo:min(lo+queueBatch, len(users))] {
				d := lines[uid]
				ls := d.lines
				if d.n > maxDigestLines {
					ls = append(ls[:maxDigestLines:maxDigestLines], notify.Line{Text: i18n.T(i18n.Default, "msg.ledger.more", d.n-maxDigestLines), Link: "/problems"})
				}
				ok, err := notify.Queue(ctx, tx, notify.Digest{UserID: uid, Day: todayS, Kind: "ledger.deadline",
					Title: i18n.T(i18n.Default, "msg.ledger.digest_title", todayS, d.n), Lines: ls})
				if err != nil {
					return err
				}
				if ok {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return queued, err
		}
		queued += n
	}
	return queued, nil
}
