package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// An admin adds a WeCom robot on the unit page, sees it masked, sends a test
// message and deletes it; a person sets their reminder email.
func TestBrowserUnitRobotsAndEmail(t *testing.T) {
	var posts atomic.Int32
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer robot.Close()
	b, srv, _ := browserFixture(t)
	browserLogin(t, b, srv, "admin")

	b.Navigate(srv.URL + "/units/city1")
	if got := b.Text("#robots .empty"); got != "尚未配置通知机器人。" {
		t.Fatalf("robots panel: %q", got)
	}
	st := b.Submit("#robot-form", url.Values{"kind": {"wecom"}, "url": {robot.URL + "/cgi-bin/webhook/send?key=KEY-secret-4321"}})
	if st != http.StatusOK || b.Text(".alert-success") != "机器人已添加。" {
		t.Fatalf("add: status %d, flash %q", st, b.Text(".alert-success"))
	}
	row := b.Text("#robot-list tbody tr")
	if !strings.Contains(row, "企业微信") || !strings.Contains(row, "/…4321") || strings.Contains(row, "KEY-secret") {
		t.Fatalf("row %q", row)
	}
	if v, _ := b.Attr("#f-robot-url", "value"); v != "" {
		t.Fatalf("the form keeps the address: %q", v)
	}
	if st := b.ClickAndWait(`#robot-list form[action$="/test"] button`); st != http.StatusOK || b.Text(".alert-success") != "测试消息已送达机器人。" || posts.Load() != 1 {
		t.Fatalf("test: status %d, %q, %d posts", st, b.Text(".alert-success"), posts.Load())
	}
	if st := b.ClickAndWait(`#robot-list form[action$="/delete"] button`); st != http.StatusOK || b.Count("#robot-list") != 0 {
		t.Fatalf("delete: status %d", st)
	}

	b.Navigate(srv.URL + "/account")
	if st := b.Submit("#email-form", url.Values{"email": {"guanliyuan@example.gov.cn"}}); st != http.StatusOK {
		t.Fatalf("email: status %d", st)
	}
	if v, _ := b.Attr("#f-email", "value"); v != "guanliyuan@example.gov.cn" || b.Text(".alert-success") != "提醒邮箱已保存。" {
		t.Fatalf("email field %q, flash %q", v, b.Text(".alert-success"))
	}
}
