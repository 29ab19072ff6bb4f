package config

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestFlagsEnvironmentAndValidation(t *testing.T) {
	t.Setenv("LUOSHI_ADDR", "0.0.0.0:9000")
	t.Setenv("LUOSHI_DATA", "/srv/luoshi")
	t.Setenv("LUOSHI_ADMIN_PASSWORD", "from-env-only")
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var c Config
	c.Register(fs)
	if err := fs.Parse([]string{"--data", "/tmp/x"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.DataDir != "/tmp/x" || c.AdminPassword != "from-env-only" {
		t.Fatalf("flag/env precedence: %+v", c)
	}
	if c.BaseURL != "http://127.0.0.1:9000" || c.DatabaseTarget() != "/tmp/x/luoshi.db" {
		t.Fatalf("derived: %s %s", c.BaseURL, c.DatabaseTarget())
	}

	bad := []Config{
		{Addr: "nonsense", DataDir: "d"},
		{Addr: "127.0.0.1:1", DataDir: ""},
		{Addr: "127.0.0.1:1", DataDir: "d", DatabaseURL: "mysql://x"},
		{Addr: "127.0.0.1:1", DataDir: "d", IdleTimeout: time.Second},
		{Addr: "127.0.0.1:1", DataDir: "d", LogLevel: "loud"},
	}
	for i, b := range bad {
		if err := b.Validate(); err == nil {
			t.Errorf("case %d: %+v accepted", i, b)
		}
	}
	ok := Config{Addr: "127.0.0.1:1", DataDir: "d", DatabaseURL: "postgres://u@h/db"}
	if err := ok.Validate(); err != nil || ok.DatabaseTarget() != "postgres://u@h/db" {
		t.Fatal(err)
	}
	_ = io.Discard
}

func TestSMTPSettings(t *testing.T) {
	t.Setenv("LUOSHI_SMTP_HOST", "smtp.example.gov.cn")
	t.Setenv("LUOSHI_SMTP_USER", "luoshi")
	t.Setenv("LUOSHI_SMTP_PASSWORD", "pw-from-env")
	t.Setenv("LUOSHI_SMTP_FROM", "落实平台 <luoshi@example.gov.cn>")
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var c Config
	c.Register(fs)
	if fs.Lookup("smtp-password") != nil {
		t.Fatal("a password flag would show in ps")
	}
	if err := fs.Parse([]string{"--data", "d", "--smtp-tls", "tls"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.SMTP.Host != "smtp.example.gov.cn" || c.SMTP.Port != 465 || c.SMTP.Password != "pw-from-env" || c.SMTP.TLS != "tls" {
		t.Fatalf("%+v", c.SMTP)
	}

	pwFile := t.TempDir() + "/pw"
	os.WriteFile(pwFile, []byte("from-file\n"), 0o600)
	ok := Config{Addr: "127.0.0.1:1", DataDir: "d", SMTP: SMTP{Host: "h", User: "u", PasswordFile: pwFile, From: "a@b.cn"}}
	if err := ok.Validate(); err != nil || ok.SMTP.Password != "from-file" || ok.SMTP.Port != 587 || ok.SMTP.TLS != "starttls" {
		t.Fatalf("%v %+v", err, ok.SMTP)
	}
	for i, s := range []SMTP{
		{Host: "h", From: ""},                               // no sender
		{Host: "h", From: "a@b.cn", TLS: "ssl"},             // unknown mode
		{Host: "h", From: "a@b.cn", Port: 70000},            // port
		{Host: "h", From: "a@b.cn", Password: "x"},          // password without user
		{Host: "h", From: "a@b.cn", User: "u", TLS: "none"}, // password in clear
		{Host: "h", From: "a@b.cn", PasswordFile: "/nonexistent/pw"},
	} {
		c := Config{Addr: "127.0.0.1:1", DataDir: "d", SMTP: s}
		if err := c.Validate(); err == nil {
			t.Errorf("case %d: %+v accepted", i, s)
		}
	}
	// no host: email is off and nothing else is checked
	off := Config{Addr: "127.0.0.1:1", DataDir: "d", SMTP: SMTP{From: "nonsense"}}
	if err := off.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestTLSAndExposure(t *testing.T) {
	t.Setenv("LUOSHI_TLS_CERT", "/etc/luoshi/cert.pem")
	t.Setenv("LUOSHI_TLS_KEY", "/etc/luoshi/key.pem")
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var c Config
	c.Register(fs)
	if err := fs.Parse([]string{"--addr", "0.0.0.0:8443"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !c.TLS() || !c.SecureCookies || c.BaseURL != "https://127.0.0.1:8443" || c.CheckExposure() != nil {
		t.Fatalf("TLS from the environment: %+v", c)
	}

	t.Setenv("LUOSHI_TLS_CERT", "")
	t.Setenv("LUOSHI_TLS_KEY", "")
	t.Setenv("LUOSHI_BEHIND_TLS_PROXY", "1")
	fs = flag.NewFlagSet("t", flag.ContinueOnError)
	c = Config{}
	c.Register(fs)
	fs.Parse([]string{"--addr", ":8080"})
	if err := c.Validate(); err != nil || !c.BehindTLSProxy || !c.SecureCookies || c.CheckExposure() != nil {
		t.Fatalf("behind a proxy from the environment: %v %+v", err, c)
	}

	half := Config{Addr: "127.0.0.1:1", DataDir: "d", TLSCert: "c.pem"}
	if err := half.Validate(); err == nil || !strings.Contains(err.Error(), "--tls-key") {
		t.Errorf("a certificate without a key: %v", err)
	}

	for addr, refused := range map[string]bool{
		"127.0.0.1:8080": false, "[::1]:8080": false, "localhost:8080": false, "127.8.9.1:80": false,
		"0.0.0.0:8080": true, ":8080": true, "[::]:8080": true, "192.168.1.10:8080": true, "luoshi.example.cn:80": true,
	} {
		c := Config{Addr: addr, DataDir: "d"}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		err := c.CheckExposure()
		if (err != nil) != refused {
			t.Errorf("%s: refused %v, want %v", addr, err != nil, refused)
		}
		if err != nil && (!strings.Contains(err.Error(), "--behind-tls-proxy") || !strings.Contains(err.Error(), "--tls-cert")) {
			t.Errorf("%s: the refusal does not say what to do: %v", addr, err)
		}
		if c.SecureCookies {
			t.Errorf("%s: Secure cookies over plain HTTP would never come back", addr)
		}
	}
}
