package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of the SMTP connection.
const (
	TLSNone     = "none"     // plain SMTP (only sensible to a relay on the same host)
	TLSStartTLS = "starttls" // upgrade with STARTTLS, which must succeed (port 587)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
)

// SMTP configures outgoing email. An empty Host disables email.
type SMTP struct {
	Host     string
	Port     int
	User     string
	Password string // never logged, never shown
	From     string
	TLS      string
	// TLSConfig, when set, replaces the default (system roots, ServerName =
	// Host); tests use it to trust their own certificate.
	TLSConfig *tls.Config
	Timeout   time.Duration
}

// Enabled reports whether email is configured.
func (c SMTP) Enabled() bool { return c.Host != "" }

// String describes the configuration for the log, without the password.
func (c SMTP) String() string {
	if !c.Enabled() {
		return "email disabled"
	}
	auth := "no auth"
	if c.User != "" {
		auth = "auth as " + c.User
	}
	return fmt.Sprintf("smtp %s (%s, %s) from %s", net.JoinHostPort(c.Host, fmt.Sprint(c.Port)), c.TLS, auth, c.From)
}

// Mailer sends digests by email.
type Mailer struct {
	Cfg SMTP
	// Domain names the Message-ID's right-hand side (the base URL's host).
	Domain string
}

// NewMailer returns a mailer for cfg.
func NewMailer(cfg SMTP, domain string) *Mailer {
	if domain == "" {
		domain = "luoshi.invalid"
	}
	return &Mailer{Cfg: cfg, Domain: domain}
}

func (m *Mailer) client() (*gomail.Client, error) {
	timeout := m.Cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts := []gomail.Option{gomail.WithPort(m.Cfg.Port), gomail.WithTimeout(timeout)}
	switch m.Cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if m.Cfg.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(m.Cfg.TLSConfig))
	}
	if m.Cfg.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(m.Cfg.User), gomail.WithPassword(m.Cfg.Password))
	}
	return gomail.NewClient(m.Cfg.Host, opts...)
}

// Send mails one digest: plain text with an HTML alternative. The Message-ID
// is derived from the outbox id, so a receiver can tell a repeat.
func (m *Mailer) Send(ctx context.Context, o Outgoing) error {
	msg := gomail.NewMsg()
	if err := msg.From(m.Cfg.From); err != nil {
		return Permanent(fmt.Errorf("sender address: %v", err))
	}
	if err := msg.To(o.Target); err != nil {
		return Permanent(fmt.Errorf("recipient address: %v", err))
	}
	msg.Subject(o.Rendered.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(fmt.Sprintf("luoshi-outbox-%d@%s", o.ID, m.Domain))
	msg.SetBodyString(gomail.TypeTextPlain, o.Rendered.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, o.Rendered.HTML)
	c, err := m.client()
	if err != nil {
		return err
	}
	err = c.DialAndSendWithContext(ctx, msg)
	var se *gomail.SendError
	if errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo && !se.IsTemp() {
		return Permanent(err) // the server refuses the address for good
	}
	return err
}
