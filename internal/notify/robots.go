package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/store"
)

// RobotSender sends digests to group robots (DingTalk, WeCom, Feishu custom bots)
// by the id of their notify_webhooks row.
type RobotSender struct {
	DB     *store.DB
	Client *http.Client
	Now    func() time.Time
}

// NewRobots returns a robot sender with a 30-second HTTP client.
func NewRobots(db *store.DB) *RobotSender {
	return &RobotSender{DB: db, Now: time.Now, Client: &http.Client{Timeout: 30 * time.Second,
		// robots answer directly; following a redirect could carry the message elsewhere
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Send posts one outbox message to the robot its target names.
func (b *RobotSender) Send(ctx context.Context, o Outgoing) error {
	id, err := strconv.ParseInt(o.Target, 10, 64)
	if err != nil {
		return Permanent(errors.New("bad robot id"))
	}
	var h Webhook
	err = b.DB.Read.QueryRowContext(ctx, `SELECT id, kind, url, secret FROM notify_webhooks WHERE id = $1`, id).
		Scan(&h.ID, &h.Kind, &h.URL, &h.Secret)
	if errors.Is(err, sql.ErrNoRows) {
		return Permanent(errors.New("the robot was removed"))
	}
	if err != nil {
		return err
	}
	if h.Kind != o.Channel {
		return Permanent(errors.New("the robot's kind changed"))
	}
	return b.Post(ctx, h, o.Rendered)
}

// Post sends r to one robot and reads its answer: a robot answers 200 with
// an error code in JSON, and only a zero code means it took the message.
func (b *RobotSender) Post(ctx context.Context, h Webhook, r Rendered) error {
	now := time.Now()
	if b.Now != nil {
		now = b.Now()
	}
	target, body, err := RobotRequest(h, r, now)
	if err != nil {
		return Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(string(body)))
	if err != nil {
		return Permanent(errors.New("the robot address cannot be used"))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	client := b.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error names the URL, and the URL holds the robot's token
		}
		return fmt.Errorf("%s robot: %v", h.Kind, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s robot: HTTP %d", h.Kind, resp.StatusCode)
	}
	return robotAnswer(h.Kind, raw)
}

// robotAnswer reads a robot's JSON answer. DingTalk and WeCom answer
// {"errcode":0,"errmsg":"ok"}; Feishu {"code":0,"msg":"success"} (older
// versions {"StatusCode":0,...}).
func robotAnswer(kind string, raw []byte) error {
	var a struct {
		ErrCode       *int   `json:"errcode"`
		ErrMsg        string `json:"errmsg"`
		Code          *int   `json:"code"`
		Msg           string `json:"msg"`
		StatusCode    *int   `json:"StatusCode"`
		StatusMessage string `json:"StatusMessage"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return fmt.Errorf("%s robot: the answer is not JSON", kind)
	}
	code, msg := a.ErrCode, a.ErrMsg
	if kind == Feishu {
		code, msg = a.Code, a.Msg
		if code == nil {
			code, msg = a.StatusCode, a.StatusMessage
		}
	}
	if code == nil {
		return fmt.Errorf("%s robot: the answer has no error code", kind)
	}
	if *code != 0 {
		return fmt.Errorf("%s robot: error %d: %s", kind, *code, clip(msg, 200))
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// Limits of the robots' message sizes (bytes of the markdown or text).
const (
	weComMaxBytes    = 4096
	dingTalkMaxBytes = 18000
)

// clipBytes cuts s to at most n bytes on a line boundary where it can.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = clip(s, n-len("\n…"))
	if i := strings.LastIndexByte(s, '\n'); i > n/2 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, "…") + "\n…"
}

// RobotRequest builds the URL and JSON body for one robot, signed when the
// robot has a secret:
//
//   - DingTalk: {"msgtype":"markdown","markdown":{"title","text"}}; signing adds
//     timestamp (ms) and sign = Base64(HMAC-SHA256(key=secret, timestamp+"\n"+secret))
//     to the query.
//   - WeCom: {"msgtype":"markdown","markdown":{"content"}} (at most 4096 bytes);
//     WeCom group robots have no signing.
//   - Feishu: {"msg_type":"post","content":{"post":{"zh_cn":{"title","content"}}}};
//     signing adds "timestamp" (seconds, a string) and "sign" =
//     Base64(HMAC-SHA256(key=timestamp+"\n"+secret, empty message)) to the body.
func RobotRequest(h Webhook, r Rendered, now time.Time) (string, []byte, error) {
	switch h.Kind {
	case DingTalk:
		target := h.URL
		if h.Secret != "" {
			ts := strconv.FormatInt(now.UnixMilli(), 10)
			sep := "&"
			if !strings.Contains(target, "?") {
				sep = "?"
			}
			target += sep + "timestamp=" + ts + "&sign=" + url.QueryEscape(DingTalkSign(h.Secret, ts))
		}
		body, err := json.Marshal(map[string]any{
			"msgtype":  "markdown",
			"markdown": map[string]string{"title": r.Title, "text": clipBytes(r.Markdown, dingTalkMaxBytes)},
		})
		return target, body, err
	case WeCom:
		body, err := json.Marshal(map[string]any{
			"msgtype":  "markdown",
			"markdown": map[string]string{"content": clipBytes(r.Markdown, weComMaxBytes)},
		})
		return h.URL, body, err
	case Feishu:
		type elem struct {
			Tag  string `json:"tag"`
			Text string `json:"text"`
			Href string `json:"href,omitempty"`
		}
		content := [][]elem{}
		for _, l := range r.Lines {
			if l.Link != "" {
				content = append(content, []elem{{Tag: "a", Text: l.Text, Href: l.Link}})
			} else {
				content = append(content, []elem{{Tag: "text", Text: l.Text}})
			}
		}
		msg := map[string]any{
			"msg_type": "post",
			"content":  map[string]any{"post": map[string]any{"zh_cn": map[string]any{"title": r.Title, "content": content}}},
		}
		if h.Secret != "" {
			ts := strconv.FormatInt(now.Unix(), 10)
			msg["timestamp"] = ts
			msg["sign"] = FeishuSign(h.Secret, ts)
		}
		body, err := json.Marshal(msg)
		return h.URL, body, err
	}
	return "", nil, fmt.Errorf("unknown robot kind %q", h.Kind)
}

// DingTalkSign is DingTalk's signature: HMAC-SHA256 keyed with the secret
// over timestamp+"\n"+secret, Base64.
func DingTalkSign(secret, ts string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// FeishuSign is Feishu's signature: HMAC-SHA256 keyed with
// timestamp+"\n"+secret over an empty message, Base64.
func FeishuSign(secret, ts string) string {
	m := hmac.New(sha256.New, []byte(ts+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
