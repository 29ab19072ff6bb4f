package notify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func wantErr(t *testing.T, err error, kind apperr.Kind, key string) {
	t.Helper()
	e := apperr.As(err)
	if e == nil || e.Kind != kind || (key != "" && e.Key != key) {
		t.Fatalf("want kind %d %q, got %v", kind, key, err)
	}
}

func TestWebhooksAreManagedByAdminsOfTheSubtree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		robot := newRobotEndpoint(t, `{"errcode":0,"errmsg":"ok"}`)
		secretURL := robot.URL + "/robot/send?access_token=TOKEN-0123456789"
		in := WebhookInput{Kind: DingTalk, URL: secretURL, Secret: "SEC-signing-secret"}

		// the admin of c and the admin above may; c's leader reads c but may not;
		// the admin of c does not even see p or d
		h, err := AddWebhook(ctx, db, f.p["cadmin"], "c", in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := AddWebhook(ctx, db, f.p["admin"], "c", WebhookInput{Kind: Feishu, URL: robot.URL + "/hook/abc"}); err != nil {
			t.Fatal(err)
		}
		_, err = AddWebhook(ctx, db, f.p["clead"], "c", in)
		wantErr(t, err, apperr.Forbidden, "")
		_, err = AddWebhook(ctx, db, f.p["cadmin"], "d", in)
		wantErr(t, err, apperr.NotFound, "")
		_, err = ListWebhooks(ctx, db, f.p["clead"], "c")
		wantErr(t, err, apperr.Forbidden, "")

		list, err := ListWebhooks(ctx, db, f.p["cadmin"], "c")
		if err != nil || len(list) != 2 || list[0].Kind != DingTalk || !list[0].Signed || list[1].Signed || list[0].CreatedBy != "cadmin" {
			t.Fatalf("list %+v %v", list, err)
		}
		b, _ := json.Marshal(list)
		if strings.Contains(string(b), "TOKEN-0123456789") || strings.Contains(string(b), "SEC-signing") || list[0].URL != "" ||
			!strings.HasSuffix(list[0].Masked, "6789") {
			t.Fatalf("list shows secrets: %s", b)
		}

		// test-send: delivered, then refused with the robot's reason
		if err := TestWebhook(ctx, db, f.p["cadmin"], NewRobots(db), "https://l", "c", h.ID); err != nil {
			t.Fatal(err)
		}
		if robot.count() != 1 || !strings.Contains(robot.bodies[0], "明川市委政法委") || robot.reqs[0].URL.Query().Get("sign") == "" {
			t.Fatalf("test message: %v", robot.bodies)
		}
		robot.answer = `{"errcode":310000,"errmsg":"keywords not in content"}`
		err = TestWebhook(ctx, db, f.p["cadmin"], NewRobots(db), "https://l", "c", h.ID)
		wantErr(t, err, apperr.Invalid, "err.notify.webhook.test_failed")
		if !strings.Contains(apperr.As(err).Args[0].(string), "310000") {
			t.Fatalf("reason: %v", apperr.As(err).Args)
		}

		// deleting: a robot of another unit is not found
		err = DeleteWebhook(ctx, db, f.p["admin"], "d", h.ID)
		wantErr(t, err, apperr.NotFound, "")
		if err := DeleteWebhook(ctx, db, f.p["cadmin"], "c", h.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := ListWebhooks(ctx, db, f.p["cadmin"], "c"); len(list) != 1 {
			t.Fatalf("after delete: %+v", list)
		}

		// every change and test is in the trail, and no secret is
		es, err := audit.List(ctx, db, audit.Filter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range es {
			if strings.HasPrefix(e.Action, "notify.") {
				actions = append(actions, e.Action+"/"+e.Actor)
				d, _ := json.Marshal(e.Detail)
				if strings.Contains(string(d), "TOKEN-0123456789") || strings.Contains(string(d), "SEC-signing") {
					t.Fatalf("audit detail holds a secret: %s", d)
				}
			}
		}
		want := "notify.webhook.delete/cadmin notify.webhook.test/cadmin notify.webhook.test/cadmin notify.webhook.create/admin notify.webhook.create/cadmin"
		if strings.Join(actions, " ") != want {
			t.Fatalf("audit:\n got %s\nwant %s", strings.Join(actions, " "), want)
		}
	})
}

func TestWebhookInputIsValidated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for _, c := range []struct {
			in         WebhookInput
			field, key string
		}{
			{WebhookInput{Kind: "slack", URL: "https://x.example/h"}, "kind", "err.notify.webhook.kind"},
			{WebhookInput{Kind: DingTalk, URL: ""}, "url", "err.notify.webhook.url"},
			{WebhookInput{Kind: DingTalk, URL: "oapi.dingtalk.com/robot/send"}, "url", "err.notify.webhook.url"},
			{WebhookInput{Kind: DingTalk, URL: "http://oapi.dingtalk.com/robot/send?access_token=x"}, "url", "err.notify.webhook.https"},
			{WebhookInput{Kind: DingTalk, URL: "https://u:p@oapi.dingtalk.com/robot/send"}, "url", "err.notify.webhook.url"},
			{WebhookInput{Kind: DingTalk, URL: "https://oapi.dingtalk.com/" + strings.Repeat("a", 1000)}, "url", "err.notify.webhook.url_too_long"},
			{WebhookInput{Kind: WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", Secret: "s"}, "secret", "err.notify.webhook.wecom_secret"},
			{WebhookInput{Kind: Feishu, URL: "https://open.feishu.cn/open-apis/bot/v2/hook/x", Secret: "two words"}, "secret", "err.notify.webhook.secret"},
		} {
			_, err := AddWebhook(ctx, db, f.p["cadmin"], "c", c.in)
			e := apperr.As(err)
			if e == nil || e.Field != c.field || e.Key != c.key {
				t.Errorf("%+v: got %v, want %s %s", c.in, err, c.field, c.key)
			}
		}
		for i := range MaxWebhooksPerUnit {
			if _, err := AddWebhook(ctx, db, f.p["cadmin"], "c", WebhookInput{Kind: WeCom,
				URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k" + string(rune('a'+i))}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := AddWebhook(ctx, db, f.p["cadmin"], "c", WebhookInput{Kind: WeCom, URL: "https://qyapi.weixin.qq.com/x"})
		wantErr(t, err, apperr.Conflict, "err.notify.webhook.limit")
	})
}
