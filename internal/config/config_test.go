package config

import (
	"flag"
	"io"
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
