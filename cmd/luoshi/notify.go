package main

import (
	"log/slog"
	"net/url"

	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/notify"
	"github.com/luoshi/luoshi/internal/store"
)

// deliveryWorker builds the outbox delivery of this node: robots always,
// email when an SMTP host is configured (without one, email messages are
// marked skipped; see docs/operations.md).
func deliveryWorker(db *store.DB, cfg *config.Config, log *slog.Logger) *notify.Worker {
	robots := notify.NewRobots(db)
	senders := map[string]notify.Sender{}
	for _, k := range notify.Robots {
		senders[k] = robots
	}
	sc := notify.SMTP{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, User: cfg.SMTP.User, Password: cfg.SMTP.Password,
		From: cfg.SMTP.From, TLS: cfg.SMTP.TLS}
	if sc.Enabled() {
		domain := ""
		if u, err := url.Parse(cfg.BaseURL); err == nil {
			domain = u.Hostname()
		}
		senders[notify.Email] = notify.NewMailer(sc, domain)
	}
	log.Info("notification delivery", "email", sc.String())
	return notify.NewWorker(db, senders, cfg.BaseURL, log)
}
