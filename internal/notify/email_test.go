package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/notify/notifytest"
)

var digest = Message{Person: "张三", Title: "2026-12-02 台账提醒(2 项)", Lines: []Line{
	{Text: "QH-2026-001 整改窗口服务 今天到期", Link: "/problems/1"},
	{Text: "QH-2026-002 规范执法 <b>已逾期</b> 3 个工作日", Link: "/problems/2"},
}}

func TestRenderBuildsAbsoluteLinksAndEscapes(t *testing.T) {
	r := Render(digest, "https://luoshi.example.gov.cn/", "footer")
	if !strings.Contains(r.Text, "https://luoshi.example.gov.cn/problems/1") || !strings.Contains(r.Text, "张三") {
		t.Fatalf("text: %s", r.Text)
	}
	if !strings.Contains(r.HTML, `<a href="https://luoshi.example.gov.cn/problems/2">`) || strings.Contains(r.HTML, "<b>") {
		t.Fatalf("html not escaped or link missing: %s", r.HTML)
	}
	if !strings.Contains(r.Markdown, "- [QH-2026-001 整改窗口服务 今天到期](https://luoshi.example.gov.cn/problems/1)") ||
		!strings.Contains(r.Markdown, "＜b＞已逾期＜/b＞") {
		t.Fatalf("markdown: %s", r.Markdown)
	}
	// a link that is not a path on this site is dropped
	r = Render(Message{Title: "t", Lines: []Line{{Text: "x", Link: "https://evil.example/"}, {Text: "y", Link: "//evil.example/"}}}, "https://a", "")
	if r.Lines[0].Link != "" || r.Lines[1].Link != "" {
		t.Fatalf("foreign links kept: %+v", r.Lines)
	}
}

func TestMailerSendsPlainTextAndHTML(t *testing.T) {
	sink := notifytest.NewSMTPSink(t, nil, "")
	m := NewMailer(SMTP{Host: "127.0.0.1", Port: sink.Port(), From: "落实平台 <luoshi@example.gov.cn>", TLS: TLSNone, Timeout: 5 * time.Second}, "luoshi.example.gov.cn")
	o := Outgoing{ID: 42, Channel: Email, Target: "zhangsan@example.gov.cn", Rendered: Render(digest, "https://luoshi.example.gov.cn", "footer")}
	if err := m.Send(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	got := sink.Messages()
	if len(got) != 1 || got[0].From != "luoshi@example.gov.cn" || len(got[0].To) != 1 || got[0].To[0] != "zhangsan@example.gov.cn" {
		t.Fatalf("envelope: %+v", got)
	}
	pm := notifytest.ParseMail(t, got[0].Data)
	if pm.Sub != digest.Title {
		t.Errorf("subject %q", pm.Sub)
	}
	if id := pm.Header.Get("Message-Id"); id != "<luoshi-outbox-42@luoshi.example.gov.cn>" {
		t.Errorf("Message-ID %q", id)
	}
	if !strings.Contains(pm.Text, "QH-2026-001 整改窗口服务 今天到期") || !strings.Contains(pm.Text, "https://luoshi.example.gov.cn/problems/1") {
		t.Errorf("plain text part: %q", pm.Text)
	}
	if !strings.Contains(pm.HTML, `<a href="https://luoshi.example.gov.cn/problems/2">`) {
		t.Errorf("html part: %q", pm.HTML)
	}

	// a refused recipient is permanent: retrying cannot help
	o.Target = "reject-me@example.gov.cn"
	if err := m.Send(context.Background(), o); err == nil || !IsPermanent(err) {
		t.Fatalf("refused recipient: %v", err)
	}
}

func TestMailerUsesSTARTTLSBeforeAuthenticating(t *testing.T) {
	srv, cli := notifytest.SelfSigned(t)
	sink := notifytest.NewSMTPSink(t, srv, "mailer\x00s3cret-pw")
	cfg := SMTP{Host: "127.0.0.1", Port: sink.Port(), User: "mailer", Password: "s3cret-pw", From: "luoshi@example.gov.cn",
		TLS: TLSStartTLS, TLSConfig: cli, Timeout: 5 * time.Second}
	if strings.Contains(cfg.String(), "s3cret") {
		t.Fatal("the description shows the password")
	}
	o := Outgoing{ID: 1, Channel: Email, Target: "a@example.gov.cn", Rendered: Render(digest, "https://x", "")}
	if err := NewMailer(cfg, "").Send(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	got := sink.Messages()
	if len(got) != 1 || !got[0].UnderT || got[0].Auth != "mailer\x00s3cret-pw" {
		t.Fatalf("want one message over TLS with the credentials, got %+v", got)
	}
	// a wrong password fails (and is retried: it may be fixed by the operator)
	cfg.Password = "wrong"
	err := NewMailer(cfg, "").Send(context.Background(), o)
	if err == nil || IsPermanent(err) || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong password: %v", err)
	}
	// a server without STARTTLS is refused under starttls: no password in clear
	plain := notifytest.NewSMTPSink(t, nil, "")
	cfg.Port, cfg.Password = plain.Port(), "s3cret-pw"
	if err := NewMailer(cfg, "").Send(context.Background(), o); err == nil || len(plain.Messages()) != 0 {
		t.Fatalf("sent without TLS: %v", err)
	}
}
