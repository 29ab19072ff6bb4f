package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestUnitRobotsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var mu sync.Mutex
		var bodies []string
		answer := `{"errcode":0,"errmsg":"ok"}`
		robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, string(b))
			a := answer
			mu.Unlock()
			io.WriteString(w, a)
		}))
		defer robot.Close()
		srv := fixture(t, db)
		admin := loggedIn(t, srv, "admin")

		expect(t, admin.get("/units/city1"), 200, `id="robots"`, "尚未配置通知机器人。", `id="robot-form"`)

		// a bad address: the error is shown, the typed secret is not sent back
		r := admin.post("/units/city1/robots", url.Values{"kind": {"dingtalk"}, "url": {"http://oapi.dingtalk.com/robot/send?access_token=t"},
			"secret": {"SECRET-typed-123"}})
		expect(t, r, http.StatusBadRequest, "Webhook 地址必须以 https:// 开头")
		if strings.Contains(r.Body, "SECRET-typed-123") {
			t.Fatal("the secret was echoed")
		}

		r = admin.post("/units/city1/robots", url.Values{"kind": {"wecom"}, "url": {robot.URL + "/cgi-bin/webhook/send?key=KEY-abcdef-9876"}})
		if r.Status != http.StatusSeeOther || r.Location != "/units/city1?done=robot_added" {
			t.Fatalf("add: %d %s\n%s", r.Status, r.Location, r.Body)
		}
		r = admin.get("/units/city1?done=robot_added")
		expect(t, r, 200, "机器人已添加。", "企业微信", "/…9876")
		if strings.Contains(r.Body, "KEY-abcdef") {
			t.Fatal("the page shows the robot's key")
		}
		var id int64
		if err := db.Read.QueryRowContext(context.Background(), `SELECT id FROM notify_webhooks`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		base := "/units/city1/robots/" + strconv.FormatInt(id, 10)

		// test-send: delivered, then refused by the robot
		r = admin.post(base+"/test", nil)
		if r.Status != http.StatusSeeOther || len(bodies) != 1 || !strings.Contains(bodies[0], `"msgtype":"markdown"`) {
			t.Fatalf("test: %d %v\n%s", r.Status, bodies, r.Body)
		}
		mu.Lock()
		answer = `{"errcode":93000,"errmsg":"invalid webhook url"}`
		mu.Unlock()
		expect(t, admin.post(base+"/test", nil), http.StatusBadRequest, "测试消息未送达", "93000")

		// people who do not administer the unit: forbidden inside their reach, not found outside it
		insp := loggedIn(t, srv, "inspector1")
		if r := insp.get("/units/city1"); r.Status != 200 || strings.Contains(r.Body, `id="robots"`) {
			t.Fatalf("inspector sees the robots panel: %d", r.Status)
		}
		expect(t, insp.post("/units/city1/robots", url.Values{"kind": {"wecom"}, "url": {robot.URL + "/x"}}), http.StatusForbidden)
		expect(t, insp.post(base+"/delete", nil), http.StatusForbidden)
		off := loggedIn(t, srv, "officer1")
		expect(t, off.post(base+"/delete", nil), http.StatusNotFound)
		// a robot id under another unit's path is not found
		expect(t, admin.post("/units/city2/robots/"+strconv.FormatInt(id, 10)+"/delete", nil), http.StatusNotFound)

		r = admin.post(base+"/delete", nil)
		if r.Status != http.StatusSeeOther || r.Location != "/units/city1?done=robot_deleted" {
			t.Fatalf("delete: %d %s", r.Status, r.Location)
		}
		expect(t, admin.get("/units/city1"), 200, "尚未配置通知机器人。")
	})
}

func TestEmailForms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		off := loggedIn(t, srv, "officer1")
		expect(t, off.get("/account"), 200, `id="email-form"`, `action="/account/email"`)
		r := off.post("/account/email", url.Values{"email": {"li ganjing@example"}})
		expect(t, r, http.StatusBadRequest, "邮箱地址格式不正确", `value="li ganjing@example"`)
		r = off.post("/account/email", url.Values{"email": {"liganjing@city2.example.gov.cn"}})
		if r.Status != http.StatusSeeOther || r.Location != "/account?done=email_saved" {
			t.Fatalf("save: %d %s", r.Status, r.Location)
		}
		expect(t, off.get("/account?done=email_saved"), 200, "提醒邮箱已保存。", `value="liganjing@city2.example.gov.cn"`)

		admin := loggedIn(t, srv, "admin")
		expect(t, admin.get("/users/officer1"), 200, `action="/users/officer1/email"`, `value="liganjing@city2.example.gov.cn"`)
		r = admin.post("/users/officer1/email", url.Values{"email": {"li@city2.example.gov.cn"}})
		if r.Status != http.StatusSeeOther || r.Location != "/users/officer1?done=email_saved" {
			t.Fatalf("admin save: %d %s\n%s", r.Status, r.Location, r.Body)
		}
		expect(t, admin.post("/users/officer1/email", url.Values{"email": {"not-an-address"}}), http.StatusBadRequest,
			"邮箱地址格式不正确", `value="not-an-address"`)
		// an inspector reads people in their subtree but does not change them; others are not found
		insp := loggedIn(t, srv, "inspector1")
		expect(t, insp.post("/users/handler1/email", url.Values{"email": {"x@example.gov.cn"}}), http.StatusForbidden)
		expect(t, off.post("/users/handler1/email", url.Values{"email": {"x@example.gov.cn"}}), http.StatusNotFound)
		if r := insp.get("/users/handler1"); strings.Contains(r.Body, `id="email-form"`) {
			t.Fatal("a reader sees the email form")
		}
	})
}

func TestNotificationProblemsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		ctx := context.Background()
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO outbox (channel, target, subject, payload, dedupe_key, created_at, next_attempt_at, attempts, last_error)
			VALUES ('email', 'a@example.gov.cn', '台账提醒', '{}', 'k1', 1, 1, 8, 'skipped: channel email is not configured'),
			       ('dingtalk', '3', '台账提醒二', '{}', 'k2', 2, 2, 2, 'dingtalk robot: error 310000: sign not match')`); err != nil {
			t.Fatal(err)
		}
		admin := loggedIn(t, srv, "admin")
		expect(t, admin.get("/settings"), 200, `href="/settings/notifications"`)
		expect(t, admin.get("/settings/notifications"), 200, "未送达的通知", "已跳过", "a@example.gov.cn", "钉钉", "error 310000", `id="email-disabled"`)
		expect(t, loggedIn(t, srv, "inspector1").get("/settings/notifications"), http.StatusForbidden)
	})
}
