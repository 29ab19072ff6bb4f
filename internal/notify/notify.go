// Package notify tells people what needs their attention: an in-app inbox,
// and an outbox of messages to email and to group robots (DingTalk, WeCom,
// Feishu) that a delivery job sends. Reminders are digests: one per person,
// per kind and per day, however many server processes or reruns ask for it.
package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/store"
)

// Line is one line of a digest; Link is a path like /problems/42.
type Line struct {
	Text string `json:"text"`
	Link string `json:"link,omitempty"`
}

// Digest is what a capability sends a person.
type Digest struct {
	UserID int64
	Day    string // "YYYY-MM-DD": one digest per user, per Kind, per day
	Kind   string // e.g. "ledger.deadline"
	Title  string
	Lines  []Line
	// Private keeps the digest to the person (in-app and their own email):
	// no message to their unit's group robots, which everyone in the group
	// reads. Digests about leads are private: a group may hold the person a
	// lead names.
	Private bool
}

// Channels of the outbox.
const (
	Email    = "email"
	DingTalk = "dingtalk"
	WeCom    = "wecom"
	Feishu   = "feishu"
)

// Robots lists the webhook robot kinds.
var Robots = []string{DingTalk, WeCom, Feishu}

// Message is the payload an outbox row carries.
type Message struct {
	Person string `json:"person"`
	Title  string `json:"title"`
	Lines  []Line `json:"lines"`
}

// Queue records the digest for the user: an in-app notification plus one
// outbox row per channel the user can be reached on (their email, the robots
// of their unit). A second Queue of the same (UserID, Kind, Day) — from a
// rerun or another node — adds nothing and returns false.
func Queue(ctx context.Context, q store.Queryer, d Digest) (bool, error) {
	if d.UserID == 0 || d.Day == "" || d.Kind == "" {
		return false, errors.New("notify: digest without user, day or kind")
	}
	body, err := json.Marshal(d.Lines)
	if err != nil {
		return false, err
	}
	now := store.Now()
	var id int64
	err = q.QueryRowContext(ctx, `INSERT INTO notifications (user_id, kind, day, title, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, kind, day) DO NOTHING RETURNING id`,
		d.UserID, d.Kind, d.Day, d.Title, string(body), now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // already queued
	}
	if err != nil {
		return false, err
	}
	var unitID int64
	var person string
	var email sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT name, unit_id, email FROM users WHERE id = $1`, d.UserID).Scan(&person, &unitID, &email); err != nil {
		return false, err
	}
	payload, _ := json.Marshal(Message{Person: person, Title: d.Title, Lines: d.Lines})
	key := fmt.Sprintf("%s/%d/%s", d.Kind, d.UserID, d.Day)
	add := func(channel, target string) error {
		_, err := q.ExecContext(ctx, `INSERT INTO outbox (channel, target, subject, payload, dedupe_key, created_at, next_attempt_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (dedupe_key) DO NOTHING`,
			channel, target, d.Title, string(payload), channel+":"+target+":"+key, now)
		return err
	}
	if email.Valid && strings.TrimSpace(email.String) != "" {
		if err := add(Email, strings.TrimSpace(email.String)); err != nil {
			return false, err
		}
	}
	if d.Private {
		return true, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id, kind FROM notify_webhooks WHERE unit_id = $1 ORDER BY id`, unitID)
	if err != nil {
		return false, err
	}
	var hooks [][2]string
	for rows.Next() {
		var hid int64
		var kind string
		if err := rows.Scan(&hid, &kind); err != nil {
			rows.Close()
			return false, err
		}
		hooks = append(hooks, [2]string{kind, strconv.FormatInt(hid, 10)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	for _, h := range hooks {
		if err := add(h[0], h[1]); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Notification is an in-app notification.
type Notification struct {
	ID        int64  `json:"id"`
	Kind      string `json:"kind"`
	Day       string `json:"day"`
	Title     string `json:"title"`
	Lines     []Line `json:"lines"`
	CreatedAt int64  `json:"created_at"`
	ReadAt    int64  `json:"read_at,omitempty"`
}

// Unread counts a person's unread notifications.
func Unread(ctx context.Context, q store.Queryer, userID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, userID).Scan(&n)
	return n, err
}

// List returns a page of a person's notifications, newest first, and the total.
func List(ctx context.Context, q store.Queryer, userID int64, offset, limit int) ([]Notification, int, error) {
	var total int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = $1`, userID).Scan(&total); err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	rows, err := q.QueryContext(ctx, `SELECT id, kind, day, title, body, created_at, COALESCE(read_at, 0) FROM notifications
		WHERE user_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`, userID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var body string
		if err := rows.Scan(&n.ID, &n.Kind, &n.Day, &n.Title, &body, &n.CreatedAt, &n.ReadAt); err != nil {
			return nil, 0, err
		}
		json.Unmarshal([]byte(body), &n.Lines)
		out = append(out, n)
	}
	return out, total, rows.Err()
}

// MarkRead marks one of the person's notifications read (id 0: all of them).
func MarkRead(ctx context.Context, q store.Queryer, userID, id int64) error {
	if id == 0 {
		_, err := q.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL`, store.Now(), userID)
		return err
	}
	_, err := q.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL`, store.Now(), id, userID)
	return err
}
