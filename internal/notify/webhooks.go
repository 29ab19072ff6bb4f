package notify

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// Webhook is a unit's group robot. URL and Secret are secrets: they leave this
// package only to be sent to, never to be shown (Masked is what people see).
type Webhook struct {
	ID        int64  `json:"id"`
	UnitID    int64  `json:"-"`
	Kind      string `json:"kind"`
	URL       string `json:"-"`
	Secret    string `json:"-"`
	Masked    string `json:"url_masked"`
	Signed    bool   `json:"signed"`
	CreatedBy string `json:"created_by"`
	CreatedAt int64  `json:"created_at"`
}

// WebhookInput adds a robot.
type WebhookInput struct {
	Kind   string
	URL    string
	Secret string
}

// MaxWebhooksPerUnit bounds a unit's robots (each digest goes to every one).
const MaxWebhooksPerUnit = 10

// ValidRobot reports whether kind is a robot kind.
func ValidRobot(kind string) bool { return kind == DingTalk || kind == WeCom || kind == Feishu }

// MaskURL shows enough of a robot address to recognise it: scheme, host and
// the last four characters, never the token in between.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "…"
	}
	tail := raw
	if n := utf8.RuneCountInString(tail); n > 4 {
		tail = string([]rune(tail)[n-4:])
	}
	return u.Scheme + "://" + u.Host + "/…" + tail
}

// validateWebhook checks and normalises a new robot.
func validateWebhook(in *WebhookInput) error {
	in.Kind = strings.TrimSpace(in.Kind)
	in.URL = strings.TrimSpace(in.URL)
	in.Secret = strings.TrimSpace(in.Secret)
	if !ValidRobot(in.Kind) {
		return apperr.Invalidf("kind", "err.notify.webhook.kind")
	}
	if in.URL == "" {
		return apperr.Invalidf("url", "err.notify.webhook.url")
	}
	if len(in.URL) > 1000 {
		return apperr.Invalidf("url", "err.notify.webhook.url_too_long", 1000)
	}
	u, err := url.Parse(in.URL)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || strings.ContainsAny(in.URL, " \t\r\n") {
		return apperr.Invalidf("url", "err.notify.webhook.url")
	}
	// robot addresses carry their token: only over TLS, except to this machine
	host := u.Hostname()
	ip := net.ParseIP(host)
	local := host == "localhost" || (ip != nil && ip.IsLoopback())
	if u.Scheme != "https" && !(u.Scheme == "http" && local) {
		return apperr.Invalidf("url", "err.notify.webhook.https")
	}
	if in.Secret != "" {
		if in.Kind == WeCom {
			return apperr.Invalidf("secret", "err.notify.webhook.wecom_secret")
		}
		if len(in.Secret) > 200 || strings.IndexFunc(in.Secret, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			return apperr.Invalidf("secret", "err.notify.webhook.secret", 200)
		}
	}
	return nil
}

// manageableUnit loads a unit whose robots p may manage: admins of a subtree
// holding it. A unit p cannot read is not found; one p reads but does not
// administer is forbidden.
func manageableUnit(ctx context.Context, db *store.DB, p *org.Principal, code string) (org.Unit, error) {
	u, err := org.GetUnit(ctx, db, p, code)
	if err != nil {
		return u, err
	}
	if !org.Can(p, org.AdminWrite, u.Path) {
		return org.Unit{}, apperr.ErrForbidden
	}
	return u, nil
}

// CanManageWebhooks reports whether p may manage the robots of a unit at path.
func CanManageWebhooks(p *org.Principal, unitPath string) bool {
	return org.Can(p, org.AdminWrite, unitPath)
}

// ListWebhooks lists a unit's robots, masked.
func ListWebhooks(ctx context.Context, db *store.DB, p *org.Principal, unitCode string) ([]Webhook, error) {
	u, err := manageableUnit(ctx, db, p, unitCode)
	if err != nil {
		return nil, err
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT w.id, w.kind, w.url, w.secret, COALESCE(us.username, ''), w.created_at
		FROM notify_webhooks w LEFT JOIN users us ON us.id = w.created_by WHERE w.unit_id = $1 ORDER BY w.id`, u.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		var h Webhook
		var raw, secret string
		if err := rows.Scan(&h.ID, &h.Kind, &raw, &secret, &h.CreatedBy, &h.CreatedAt); err != nil {
			return nil, err
		}
		h.UnitID, h.Masked, h.Signed = u.ID, MaskURL(raw), secret != ""
		out = append(out, h)
	}
	return out, rows.Err()
}

// AddWebhook adds a robot to a unit; the audit entry names its kind and host only.
func AddWebhook(ctx context.Context, db *store.DB, p *org.Principal, unitCode string, in WebhookInput) (Webhook, error) {
	u, err := manageableUnit(ctx, db, p, unitCode)
	if err != nil {
		return Webhook{}, err
	}
	if err := validateWebhook(&in); err != nil {
		return Webhook{}, err
	}
	h := Webhook{UnitID: u.ID, Kind: in.Kind, Masked: MaskURL(in.URL), Signed: in.Secret != "", CreatedBy: p.Username, CreatedAt: store.Now()}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_webhooks WHERE unit_id = $1`, u.ID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxWebhooksPerUnit {
			return apperr.New(apperr.Conflict, "too_many_webhooks", "kind", "err.notify.webhook.limit", MaxWebhooksPerUnit)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO notify_webhooks (unit_id, kind, url, secret, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, u.ID, in.Kind, in.URL, in.Secret, p.UserID, h.CreatedAt).Scan(&h.ID); err != nil {
			return err
		}
		pu, _ := url.Parse(in.URL)
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "notify.webhook.create", ObjectType: "webhook",
			ObjectID: strconv.FormatInt(h.ID, 10), UnitID: u.ID, Detail: map[string]any{"kind": in.Kind, "host": pu.Host, "signed": h.Signed}})
		return err
	})
	return h, err
}

// webhookOf loads robot id of unit u (not found when it belongs elsewhere).
func webhookOf(ctx context.Context, q store.Queryer, u org.Unit, id int64) (Webhook, error) {
	h := Webhook{UnitID: u.ID}
	err := q.QueryRowContext(ctx, `SELECT id, kind, url, secret, created_at FROM notify_webhooks WHERE id = $1 AND unit_id = $2`, id, u.ID).
		Scan(&h.ID, &h.Kind, &h.URL, &h.Secret, &h.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return h, apperr.ErrNotFound
	}
	h.Masked, h.Signed = MaskURL(h.URL), h.Secret != ""
	return h, err
}

// DeleteWebhook removes a robot. Messages already queued for it are given up
// when their turn comes.
func DeleteWebhook(ctx context.Context, db *store.DB, p *org.Principal, unitCode string, id int64) error {
	u, err := manageableUnit(ctx, db, p, unitCode)
	if err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		h, err := webhookOf(ctx, tx, u, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM notify_webhooks WHERE id = $1`, h.ID); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "notify.webhook.delete", ObjectType: "webhook",
			ObjectID: strconv.FormatInt(h.ID, 10), UnitID: u.ID, Detail: map[string]any{"kind": h.Kind}})
		return err
	})
}

// TestWebhook sends a test message to a robot now and records the outcome in
// the audit trail. A robot that refuses gives err.notify.webhook.test_failed
// with the robot's (redacted) reason.
func TestWebhook(ctx context.Context, db *store.DB, p *org.Principal, robots *RobotSender, base, unitCode string, id int64) error {
	u, err := manageableUnit(ctx, db, p, unitCode)
	if err != nil {
		return err
	}
	h, err := webhookOf(ctx, db.Read, u, id)
	if err != nil {
		return err
	}
	m := Message{Person: p.Name, Title: i18n.T(i18n.Default, "msg.notify.test_title"),
		Lines: []Line{{Text: i18n.T(i18n.Default, "msg.notify.test_line", u.Name), Link: "/units/" + url.PathEscape(u.Code)}}}
	sendErr := robots.Post(ctx, h, Render(m, base, i18n.T(i18n.Default, "msg.notify.footer")))
	detail := map[string]any{"kind": h.Kind, "ok": sendErr == nil}
	if sendErr != nil {
		detail["error"] = Redact(sendErr.Error())
	}
	if err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "notify.webhook.test", ObjectType: "webhook",
			ObjectID: strconv.FormatInt(h.ID, 10), UnitID: u.ID, Detail: detail})
		return err
	}); err != nil {
		return err
	}
	if sendErr != nil {
		return apperr.New(apperr.Invalid, "webhook_test_failed", "", "err.notify.webhook.test_failed", Redact(sendErr.Error()))
	}
	return nil
}
