package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixed vectors, computed independently (Python hmac/hashlib/base64)
const (
	dingSecret = "SECtest0123456789"
	dingTS     = "1764640800000"
	dingSign   = "cv/njSep1zoG7ChchtkMEDbtpJGiTkvnQ3ZA7y3TYLM="
	feishuSec  = "feishu-secret-xyz"
	feishuTS   = "1764640800"
	feishuSig  = "7FzR769z1laD9+nhBxM0XScYtxOCtrrVAEJvX8+8RjA="
)

var robotNow = time.UnixMilli(1764640800000)

func TestSignaturesMatchTheDocumentedAlgorithms(t *testing.T) {
	if got := DingTalkSign(dingSecret, dingTS); got != dingSign {
		t.Errorf("DingTalk sign %s, want %s", got, dingSign)
	}
	if got := FeishuSign(feishuSec, feishuTS); got != feishuSig {
		t.Errorf("Feishu sign %s, want %s", got, feishuSig)
	}
}

// robotEndpoint is a fake robot: it records each request and answers with answer.
type robotEndpoint struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []*http.Request
	bodies []string
	answer string
	status int
}

func newRobotEndpoint(t *testing.T, answer string) *robotEndpoint {
	e := &robotEndpoint{answer: answer, status: 200}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.reqs, e.bodies = append(e.reqs, r), append(e.bodies, string(b))
		st, ans := e.status, e.answer
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(st)
		io.WriteString(w, ans)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *robotEndpoint) count() int { e.mu.Lock(); defer e.mu.Unlock(); return len(e.bodies) }

func jsonEq(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("body\n got %s\nwant %s", gb, wb)
	}
}

func TestRobotsPostTheirOwnFormats(t *testing.T) {
	r := Render(Message{Person: "张三", Title: "台账提醒", Lines: []Line{{Text: "A 今天到期", Link: "/problems/1"}, {Text: "B"}}}, "https://l.example", "")
	ctx := context.Background()
	rs := &RobotSender{Client: http.DefaultClient, Now: func() time.Time { return robotNow }}

	t.Run("dingtalk signed", func(t *testing.T) {
		e := newRobotEndpoint(t, `{"errcode":0,"errmsg":"ok"}`)
		h := Webhook{Kind: DingTalk, URL: e.URL + "/robot/send?access_token=tok123", Secret: dingSecret}
		if err := rs.Post(ctx, h, r); err != nil {
			t.Fatal(err)
		}
		q := e.reqs[0].URL.Query()
		if e.reqs[0].URL.Path != "/robot/send" || q.Get("access_token") != "tok123" || q.Get("timestamp") != dingTS || q.Get("sign") != dingSign {
			t.Fatalf("query %s", e.reqs[0].URL.RawQuery)
		}
		if !strings.Contains(e.reqs[0].URL.RawQuery, "sign=cv%2FnjSep1zoG7ChchtkMEDbtpJGiTkvnQ3ZA7y3TYLM%3D") {
			t.Fatalf("sign not URL-encoded: %s", e.reqs[0].URL.RawQuery)
		}
		if ct := e.reqs[0].Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("content type %q", ct)
		}
		jsonEq(t, e.bodies[0], `{"msgtype":"markdown","markdown":{"title":"台账提醒",
			"text":"### 台账提醒\n\n- [A 今天到期](https://l.example/problems/1)\n- B\n"}}`)
	})
	t.Run("dingtalk unsigned", func(t *testing.T) {
		e := newRobotEndpoint(t, `{"errcode":0,"errmsg":"ok"}`)
		if err := rs.Post(ctx, Webhook{Kind: DingTalk, URL: e.URL + "/robot/send?access_token=t"}, r); err != nil {
			t.Fatal(err)
		}
		if q := e.reqs[0].URL.Query(); q.Has("sign") || q.Has("timestamp") {
			t.Fatalf("unsigned robot got %s", e.reqs[0].URL.RawQuery)
		}
	})
	t.Run("wecom", func(t *testing.T) {
		e := newRobotEndpoint(t, `{"errcode":0,"errmsg":"ok"}`)
		if err := rs.Post(ctx, Webhook{Kind: WeCom, URL: e.URL + "/cgi-bin/webhook/send?key=k1"}, r); err != nil {
			t.Fatal(err)
		}
		if e.reqs[0].URL.Query().Get("key") != "k1" {
			t.Fatal(e.reqs[0].URL.RawQuery)
		}
		jsonEq(t, e.bodies[0], `{"msgtype":"markdown","markdown":{"content":"### 台账提醒\n\n- [A 今天到期](https://l.example/problems/1)\n- B\n"}}`)
	})
	t.Run("feishu signed", func(t *testing.T) {
		e := newRobotEndpoint(t, `{"code":0,"msg":"success","data":{}}`)
		rs := &RobotSender{Client: http.DefaultClient, Now: func() time.Time { return time.Unix(1764640800, 0) }}
		if err := rs.Post(ctx, Webhook{Kind: Feishu, URL: e.URL + "/open-apis/bot/v2/hook/abc", Secret: feishuSec}, r); err != nil {
			t.Fatal(err)
		}
		jsonEq(t, e.bodies[0], `{"timestamp":"1764640800","sign":"`+feishuSig+`","msg_type":"post","content":{"post":{"zh_cn":{
			"title":"台账提醒","content":[[{"tag":"a","text":"A 今天到期","href":"https://l.example/problems/1"}],[{"tag":"text","text":"B"}]]}}}}`)
	})
	t.Run("feishu unsigned", func(t *testing.T) {
		e := newRobotEndpoint(t, `{"StatusCode":0,"StatusMessage":"success"}`)
		if err := rs.Post(ctx, Webhook{Kind: Feishu, URL: e.URL + "/hook/x"}, r); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(e.bodies[0], "sign") {
			t.Fatal(e.bodies[0])
		}
	})
}

func TestRobotErrorCodesAreFailures(t *testing.T) {
	r := Render(Message{Title: "t"}, "https://l", "")
	rs := &RobotSender{Client: http.DefaultClient}
	for _, c := range []struct {
		kind, answer string
		status       int
		want         string // "" = success
	}{
		{DingTalk, `{"errcode":310000,"errmsg":"sign not match"}`, 200, "error 310000: sign not match"},
		{WeCom, `{"errcode":93000,"errmsg":"invalid webhook url"}`, 200, "error 93000"},
		{Feishu, `{"code":19021,"msg":"sign match fail"}`, 200, "error 19021"},
		{Feishu, `{"StatusCode":9499,"StatusMessage":"Bad Request"}`, 200, "error 9499"},
		{DingTalk, `{"errcode":0}`, 502, "HTTP 502"},
		{WeCom, `<html>gateway</html>`, 200, "not JSON"},
		{DingTalk, `{"ok":true}`, 200, "no error code"},
		{WeCom, `{"errcode":0,"errmsg":"ok"}`, 200, ""},
	} {
		e := newRobotEndpoint(t, c.answer)
		e.status = c.status
		err := rs.Post(context.Background(), Webhook{Kind: c.kind, URL: e.URL + "/send?access_token=SECRET-TOKEN"}, r)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s %s: %v", c.kind, c.answer, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: got %v, want %q", c.kind, c.answer, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET-TOKEN") {
			t.Errorf("error names the token: %v", err)
		}
	}
	// a robot that cannot be reached: the transport error does not carry the URL
	err := rs.Post(context.Background(), Webhook{Kind: WeCom, URL: "http://127.0.0.1:1/send?key=SECRET-TOKEN"}, r)
	if err == nil || strings.Contains(err.Error(), "SECRET-TOKEN") {
		t.Fatalf("unreachable robot: %v", err)
	}
}

func TestWeComMarkdownIsCutToItsLimit(t *testing.T) {
	var lines []Line
	for range 400 {
		lines = append(lines, Line{Text: "很长的一条提醒内容用于测试截断", Link: "/problems/123456"})
	}
	_, body, err := RobotRequest(Webhook{Kind: WeCom, URL: "https://q"}, Render(Message{Title: "t", Lines: lines}, "https://l", ""), robotNow)
	if err != nil {
		t.Fatal(err)
	}
	var b struct{ Markdown struct{ Content string } }
	json.Unmarshal(body, &b)
	if n := len(b.Markdown.Content); n > weComMaxBytes || n < weComMaxBytes/2 || !strings.HasSuffix(b.Markdown.Content, "\n…") {
		t.Fatalf("content of %d bytes", n)
	}
}

func TestRedactCutsURLsAndLength(t *testing.T) {
	for in, want := range map[string]string{
		`Post "https://oapi.dingtalk.com/robot/send?access_token=abc": EOF`: `Post "https://oapi.dingtalk.com/…": EOF`,
		"dial smtp://user:pw@mail.example:25 refused":                       "dial smtp://mail.example:25/… refused",
		"plain error": "plain error",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Redact(strings.Repeat("错", 400)); len(got) > 504 {
		t.Errorf("not capped: %d bytes", len(got))
	}
}

func TestBackoffDoublesUpToSixHours(t *testing.T) {
	for attempt, want := range map[int]time.Duration{0: time.Minute, 1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute,
		8: 128 * time.Minute, 9: 256 * time.Minute, 10: 6 * time.Hour, 50: 6 * time.Hour} {
		if got := Backoff(attempt); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", attempt, got, want)
		}
	}
}

func TestMaskURLHidesTheToken(t *testing.T) {
	got := MaskURL("https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef")
	if got != "https://oapi.dingtalk.com/…cdef" {
		t.Fatal(got)
	}
}

func TestRobotRedirectsAreNotFollowed(t *testing.T) {
	target := newRobotEndpoint(t, `{"errcode":0,"errmsg":"ok"}`)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	err := NewRobots(nil).Post(context.Background(), Webhook{Kind: WeCom, URL: redirect.URL + "/send?key=k"}, Render(Message{Title: "t"}, "https://l", ""))
	if err == nil || !strings.Contains(err.Error(), "HTTP 307") || target.count() != 0 {
		t.Fatalf("redirect followed: %v, %d posts", err, target.count())
	}
}
