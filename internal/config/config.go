// Package config reads flags and LUOSHI_* environment variables once, at start,
// and validates them. A flag wins over the environment; the environment wins
// over the default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/blob"
)

// Config is everything a luoshi process can be told.
type Config struct {
	Addr          string // listen address
	DataDir       string // data folder: SQLite database, attachments, keys
	DatabaseURL   string // postgres:// URL; empty = SQLite in DataDir
	Demo          bool
	AdminPassword string // first start only; from the environment, never a flag (flags show in ps)
	MasterKey     string // LUOSHI_MASTER_KEY (base64); empty = the key file in DataDir. Never a flag.
	BaseURL       string // how people reach this server, for printed links
	SecureCookies bool   // set the Secure flag (behind HTTPS); implied by TLS and BehindTLSProxy
	TLSCert       string // PEM certificate chain: serve HTTPS itself
	TLSKey        string // PEM private key of TLSCert
	// BehindTLSProxy says a reverse proxy terminates HTTPS in front of this
	// process: plain HTTP on a non-loopback address is then allowed, cookies
	// are Secure and the client address is the proxy's X-Forwarded-For entry.
	BehindTLSProxy bool
	IdleTimeout    time.Duration
	AbsTimeout     time.Duration
	LogLevel       string
	// PublicPerDay caps public submissions per client address and day
	// (counted under a salted hash forgotten daily); 0 = no cap.
	PublicPerDay int
	SMTP         SMTP // email reminders (smtp.go)

	// Attachments is where uploaded files live: "" = DataDir/attachments,
	// a folder, or s3://BUCKET/PREFIX with LUOSHI_S3_* for the endpoint and
	// keys (internal/blob). Validate opens it into Blobs.
	Attachments string
	Blobs       blob.Store

	// RoutingConfidence is the confidence (percent) below which no routing
	// is suggested (internal/search); 0 = the classifier's default, 60.
	RoutingConfidence int

	// ScoreEvery is how often the background job recomputes the unpublished
	// periods' scorecards and formalism flags (internal/score, internal/warn).
	ScoreEvery time.Duration
}

// Register adds the common flags to fs, with defaults from the environment.
func (c *Config) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", env("LUOSHI_ADDR", "127.0.0.1:8080"), "listen address (LUOSHI_ADDR)")
	fs.StringVar(&c.DataDir, "data", env("LUOSHI_DATA", "./luoshi-data"), "data folder (LUOSHI_DATA)")
	fs.StringVar(&c.DatabaseURL, "db", env("LUOSHI_DATABASE_URL", ""), "postgres:// URL; empty = SQLite in the data folder (LUOSHI_DATABASE_URL)")
	fs.StringVar(&c.BaseURL, "base-url", env("LUOSHI_BASE_URL", ""), "public URL of this server, for links (LUOSHI_BASE_URL)")
	fs.BoolVar(&c.SecureCookies, "secure-cookies", envBool("LUOSHI_SECURE_COOKIES"), "mark cookies Secure, when served over HTTPS (LUOSHI_SECURE_COOKIES)")
	fs.StringVar(&c.TLSCert, "tls-cert", env("LUOSHI_TLS_CERT", ""), "PEM certificate file: serve HTTPS (LUOSHI_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", env("LUOSHI_TLS_KEY", ""), "PEM private key file of --tls-cert (LUOSHI_TLS_KEY)")
	fs.BoolVar(&c.BehindTLSProxy, "behind-tls-proxy", envBool("LUOSHI_BEHIND_TLS_PROXY"), "a reverse proxy terminates HTTPS in front of luoshi (LUOSHI_BEHIND_TLS_PROXY=1)")
	fs.DurationVar(&c.IdleTimeout, "session-idle", envDuration("LUOSHI_SESSION_IDLE", 30*time.Minute), "end a session unused this long (LUOSHI_SESSION_IDLE)")
	fs.DurationVar(&c.AbsTimeout, "session-max", envDuration("LUOSHI_SESSION_MAX", 12*time.Hour), "end a session this long after sign-in (LUOSHI_SESSION_MAX)")
	fs.StringVar(&c.LogLevel, "log-level", env("LUOSHI_LOG_LEVEL", "info"), "debug, info, warn or error (LUOSHI_LOG_LEVEL)")
	fs.IntVar(&c.PublicPerDay, "public-per-day", envInt("LUOSHI_PUBLIC_PER_DAY", 20), "public reports per client address and day; 0 = no cap (LUOSHI_PUBLIC_PER_DAY)")
	fs.IntVar(&c.RoutingConfidence, "routing-confidence", envInt("LUOSHI_ROUTING_CONFIDENCE", 60), "routing suggestions only at or above this confidence, percent (LUOSHI_ROUTING_CONFIDENCE)")
	fs.DurationVar(&c.ScoreEvery, "score-every", envDuration("LUOSHI_SCORE_EVERY", 15*time.Minute), "recompute the unpublished scorecards and warnings this often (LUOSHI_SCORE_EVERY)")
	fs.StringVar(&c.Attachments, "attachments", env("LUOSHI_ATTACHMENTS", ""), "uploaded files: a folder, or s3://BUCKET/PREFIX with LUOSHI_S3_ENDPOINT, LUOSHI_S3_ACCESS_KEY, LUOSHI_S3_SECRET_KEY, LUOSHI_S3_REGION; default DATA/attachments (LUOSHI_ATTACHMENTS)")
	c.AdminPassword = os.Getenv("LUOSHI_ADMIN_PASSWORD")
	c.MasterKey = os.Getenv("LUOSHI_MASTER_KEY")
	c.SMTP.register(fs)
}

// Validate checks the values and fills derived ones.
func (c *Config) Validate() error {
	var errs []error
	// zero values (a Config built in code) take the defaults
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 30 * time.Minute
	}
	if c.AbsTimeout == 0 {
		c.AbsTimeout = 12 * time.Hour
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.ScoreEvery == 0 {
		c.ScoreEvery = 15 * time.Minute
	}
	if c.ScoreEvery < time.Minute {
		errs = append(errs, errors.New("--score-every must be at least 1m"))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: want host:port", c.Addr))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data must not be empty"))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("--db must be a postgres:// URL (leave it empty for the embedded SQLite database)"))
	}
	if c.IdleTimeout < time.Minute || c.AbsTimeout < c.IdleTimeout {
		errs = append(errs, errors.New("--session-idle must be at least 1m and --session-max at least as long"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together: give both or neither"))
	}
	if c.TLS() || c.BehindTLSProxy {
		// every browser reaches this server over HTTPS: a cookie must never
		// travel in clear, even if someone follows an http:// link
		c.SecureCookies = true
	}
	if c.BaseURL == "" {
		host, port, _ := net.SplitHostPort(c.Addr)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		scheme := "http://"
		if c.TLS() {
			scheme = "https://"
		}
		c.BaseURL = scheme + net.JoinHostPort(host, port)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if err := c.SMTP.validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Blobs == nil {
		b, err := blob.Open(c.Attachments, c.AttachmentsDir(), os.Getenv)
		if err != nil {
			errs = append(errs, err)
		}
		c.Blobs = b
	}
	return errors.Join(errs...)
}

// TLS reports whether this process serves HTTPS itself.
func (c *Config) TLS() bool { return c.TLSCert != "" && c.TLSKey != "" }

// CheckExposure refuses plain HTTP on an address other people can reach:
// passwords, session cookies and reports would cross the network in clear.
// Only serve calls it; the other commands never listen.
func (c *Config) CheckExposure() error {
	if c.TLS() || c.BehindTLSProxy {
		return nil
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return err
	}
	if Loopback(host) {
		return nil
	}
	return fmt.Errorf("refusing to serve plain HTTP on %s, an address other machines can reach: "+
		"sign-in passwords, session cookies and reports would cross the network unencrypted. "+
		"Give --tls-cert and --tls-key (LUOSHI_TLS_CERT, LUOSHI_TLS_KEY) to serve HTTPS, "+
		"or --behind-tls-proxy (LUOSHI_BEHIND_TLS_PROXY=1) when a reverse proxy terminates HTTPS in front of luoshi, "+
		"or listen on 127.0.0.1", c.Addr)
}

// Loopback reports whether a listen host is reachable from this machine only.
// An empty host or a wildcard listens everywhere; a name other than
// localhost is not trusted to stay local.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// DatabaseTarget is what store.Open takes: the PostgreSQL URL or the SQLite file.
func (c *Config) DatabaseTarget() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "luoshi.db")
}

// AttachmentsDir is where uploaded files are kept unless --attachments
// says otherwise.
func (c *Config) AttachmentsDir() string { return filepath.Join(c.DataDir, "attachments") }

// Files is the blob store of uploaded files: Blobs, or the attachments
// folder of a Config that was not validated.
func (c *Config) Files() blob.Store {
	if c.Blobs != nil {
		return c.Blobs
	}
	return blob.NewDir(c.AttachmentsDir())
}

func env(k, def string) string {
	if v, ok := os.LookupEnv(k); ok && v != "" {
		return v
	}
	return def
}

func envBool(k string) bool {
	switch strings.ToLower(os.Getenv(k)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func envInt(k string, def int) int {
	if v := os.Getenv(k); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func envDuration(k string, def time.Duration) time.Duration {
	if v := os.Getenv(k); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}
