package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
)

// SMTP is the outgoing mail server for email reminders. An empty Host
// disables email: digests then reach people in the app and through robots only.
type SMTP struct {
	Host         string
	Port         int // 0: by TLS mode (587 starttls, 465 tls, 25 none)
	User         string
	Password     string // from LUOSHI_SMTP_PASSWORD or --smtp-password-file; never a flag (flags show in ps), never logged
	PasswordFile string
	From         string
	TLS          string // none, starttls, tls
}

func (s *SMTP) register(fs *flag.FlagSet) {
	fs.StringVar(&s.Host, "smtp-host", env("LUOSHI_SMTP_HOST", ""), "SMTP server for email reminders; empty = no email (LUOSHI_SMTP_HOST)")
	port, _ := strconv.Atoi(env("LUOSHI_SMTP_PORT", "0"))
	fs.IntVar(&s.Port, "smtp-port", port, "SMTP port; 0 = 587 for starttls, 465 for tls, 25 for none (LUOSHI_SMTP_PORT)")
	fs.StringVar(&s.User, "smtp-user", env("LUOSHI_SMTP_USER", ""), "SMTP user name; the password comes from LUOSHI_SMTP_PASSWORD or --smtp-password-file (LUOSHI_SMTP_USER)")
	fs.StringVar(&s.PasswordFile, "smtp-password-file", env("LUOSHI_SMTP_PASSWORD_FILE", ""), "file holding the SMTP password (LUOSHI_SMTP_PASSWORD_FILE)")
	fs.StringVar(&s.From, "smtp-from", env("LUOSHI_SMTP_FROM", ""), "sender address, e.g. '落实平台 <luoshi@example.gov.cn>' (LUOSHI_SMTP_FROM)")
	fs.StringVar(&s.TLS, "smtp-tls", env("LUOSHI_SMTP_TLS", "starttls"), "none, starttls or tls (LUOSHI_SMTP_TLS)")
	s.Password = os.Getenv("LUOSHI_SMTP_PASSWORD")
}

// validate checks the SMTP settings and fills the port and the password file.
func (s *SMTP) validate() error {
	if s.Host == "" {
		return nil
	}
	var errs []error
	if s.TLS == "" {
		s.TLS = "starttls"
	}
	switch s.TLS {
	case "none", "starttls", "tls":
	default:
		errs = append(errs, fmt.Errorf("--smtp-tls %q: want none, starttls or tls", s.TLS))
	}
	if s.Port == 0 {
		s.Port = map[string]int{"none": 25, "starttls": 587, "tls": 465}[s.TLS]
	}
	if s.Port < 1 || s.Port > 65535 {
		errs = append(errs, fmt.Errorf("--smtp-port %d: want 1 to 65535", s.Port))
	}
	if a, err := mail.ParseAddress(s.From); err != nil || a.Address == "" {
		errs = append(errs, fmt.Errorf("--smtp-from %q: want an address like luoshi@example.gov.cn or '落实平台 <luoshi@example.gov.cn>'", s.From))
	}
	if s.PasswordFile != "" {
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("--smtp-password-file: %v", err))
		} else {
			s.Password = strings.TrimRight(string(b), "\r\n")
		}
	}
	if s.User == "" && s.Password != "" {
		errs = append(errs, errors.New("an SMTP password is set but no --smtp-user"))
	}
	if s.User != "" && s.TLS == "none" && !loopback(s.Host) {
		errs = append(errs, errors.New("--smtp-user with --smtp-tls none would send the password in clear: use starttls or tls"))
	}
	return errors.Join(errs...)
}

func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
