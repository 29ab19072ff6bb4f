package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/notify"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestDeliveryWorkerFollowsTheSMTPConfiguration(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))

	off := &config.Config{BaseURL: "https://luoshi.example.gov.cn"}
	w := deliveryWorker(db, off, log)
	if w.Senders[notify.Email] != nil || w.Senders[notify.DingTalk] == nil || w.Senders[notify.WeCom] == nil || w.Senders[notify.Feishu] == nil {
		t.Fatalf("without SMTP: %v", w.Senders)
	}
	if w.Job().Name != "notify_deliver" {
		t.Fatal(w.Job().Name)
	}

	on := &config.Config{BaseURL: "https://luoshi.example.gov.cn", SMTP: config.SMTP{Host: "smtp.example.gov.cn", Port: 465,
		User: "luoshi", Password: "the-smtp-password", From: "luoshi@example.gov.cn", TLS: "tls"}}
	w = deliveryWorker(db, on, log)
	m, ok := w.Senders[notify.Email].(*notify.Mailer)
	if !ok || m.Cfg.Host != "smtp.example.gov.cn" || m.Cfg.TLS != "tls" || m.Domain != "luoshi.example.gov.cn" {
		t.Fatalf("with SMTP: %#v", w.Senders[notify.Email])
	}
	if strings.Contains(logBuf.String(), "the-smtp-password") || !strings.Contains(logBuf.String(), "smtp.example.gov.cn:465") {
		t.Fatalf("log: %s", logBuf.String())
	}
}
