// Command luoshi is the whole product: the staff web app, the public portal,
// the JSON API and the scheduled jobs, plus the operator's commands.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/backup"
	"github.com/luoshi/luoshi/internal/blob"
	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/demo"
	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/project"
	"github.com/luoshi/luoshi/internal/rating"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/study"
	"github.com/luoshi/luoshi/internal/vault"
	"github.com/luoshi/luoshi/internal/web"
)

const usage = `luoshi — 落实: rectification ledger, public reporting and the people's yardstick.

Usage:
  luoshi serve [--demo] [flags]     start the web app, public portal and API (one port)
  luoshi demo [flags]               the same as serve --demo
  luoshi migrate [flags]            apply database migrations and exit
  luoshi version [flags]            print the program and schema versions
  luoshi token create --user NAME [--name LABEL] [flags]
                                    print a new API token for a user
  luoshi audit verify [flags]       check the audit chain; non-zero exit names the first bad entry
  luoshi backup --out FILE [flags]  snapshot the SQLite database and attachments (server may run)
  luoshi restore --in FILE --data DIR
                                    unpack a backup into an empty data folder
  luoshi key check [flags]          check the master key against the database (exit 4 if wrong)
  luoshi ledger import FILE --unit CODE --as USERNAME [--check]
                                    record every row of a ledger .xlsx, or none
  luoshi ledger export --as USERNAME --out FILE [filters]
                                    the ledger (filtered as the list) as .xlsx

Common flags (each also read from the environment):
  --data DIR    data folder, default ./luoshi-data (LUOSHI_DATA)
  --db URL      postgres:// URL instead of SQLite (LUOSHI_DATABASE_URL)
  --addr A      listen address, default 127.0.0.1:8080 (LUOSHI_ADDR); any other
                than loopback needs --tls-cert/--tls-key or --behind-tls-proxy
Run "luoshi serve -h" for every flag.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "luoshi:", describe(err))
		var e *exitError
		if errors.As(err, &e) {
			os.Exit(e.code)
		}
		os.Exit(1)
	}
}

// exitError carries a specific exit status.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{2, "no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(rest, stdout, stderr, false)
	case "demo":
		return serve(rest, stdout, stderr, true)
	case "migrate":
		return migrate(rest, stdout, stderr)
	case "version":
		return version(rest, stdout, stderr)
	case "token":
		return token(rest, stdout, stderr)
	case "audit":
		return auditCmd(rest, stdout, stderr)
	case "backup":
		return backupCmd(rest, stdout, stderr)
	case "restore":
		return restoreCmd(rest, stdout, stderr)
	case "key":
		return keyCmd(rest, stdout, stderr)
	case "ledger":
		return ledgerCmd(rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &exitError{2, fmt.Sprintf("unknown command %q", cmd)}
}

// parse reads the common flags plus any extra ones the command registers.
func parse(name string, args []string, stderr io.Writer, extra func(fs *flag.FlagSet)) (*config.Config, error) {
	fs := flag.NewFlagSet("luoshi "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config.Config{}
	cfg.Register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return cfg, cfg.Validate()
}

func logger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// open connects and migrates: starting a new binary on an old database upgrades it.
func open(ctx context.Context, cfg *config.Config) (*store.DB, int64, error) {
	db, err := store.Open(ctx, cfg.DatabaseTarget())
	if err != nil {
		return nil, 0, err
	}
	v, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, 0, err
	}
	return db, v, nil
}

func serve(args []string, stdout, stderr io.Writer, demoMode bool) error {
	cfg, err := parse("serve", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&demoMode, "demo", demoMode, "load the demo data set into an empty database")
	})
	if err != nil {
		return err
	}
	if err := cfg.CheckExposure(); err != nil {
		return &exitError{2, err.Error()}
	}
	var tlsCfg *tls.Config
	if cfg.TLS() {
		// load before touching the database: a bad certificate stops the start
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return &exitError{2, fmt.Sprintf("--tls-cert %s / --tls-key %s: %v", cfg.TLSCert, cfg.TLSKey, err)}
		}
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	log := logger(cfg.LogLevel, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go tuneGC(ctx)
	db, version, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := openVault(ctx, cfg, db)
	if err != nil {
		return err
	}
	if err := checkFiles(ctx, cfg, db.Dialect == store.SQLite); err != nil {
		return err
	}
	log.Info("attachments", "store", cfg.Files().String())

	var logins []demo.Login
	loaded, err := demo.Loaded(ctx, db)
	if err != nil {
		return err
	}
	switch {
	case demoMode && !loaded:
		if logins, err = demo.Load(ctx, db, cfg.AdminPassword); err != nil {
			return fmt.Errorf("load demo: %w", err)
		}
		l := ledger.New(db, attach.NewOn(cfg.Files()))
		if _, err := demo.LoadLedger(ctx, db, l); err != nil {
			return fmt.Errorf("load demo ledger: %w", err)
		}
		reports := report.New(db, cfg.AttachmentsDir(), report.VaultSealer{V: v}, report.Scrubbed)
		reports.Blobs = cfg.Files()
		if _, err := demo.LoadRouting(ctx, db, reports, l); err != nil {
			return fmt.Errorf("load demo routing history: %w", err)
		}
		if _, err := demo.LoadReports(ctx, db, reports, l); err != nil {
			return fmt.Errorf("load demo reports: %w", err)
		}
		ratings := rating.New(db, l)
		if _, err := demo.LoadRatings(ctx, db, reports, l, ratings); err != nil {
			return fmt.Errorf("load demo ratings: %w", err)
		}
		projects := project.New(db, l.Files)
		if _, err := demo.LoadProjects(ctx, db, projects, ratings); err != nil {
			return fmt.Errorf("load demo projects: %w", err)
		}
		if _, err := demo.LoadNeeds(ctx, db, projects, ratings); err != nil {
			return fmt.Errorf("load demo needs: %w", err)
		}
		if _, err := demo.LoadScore(ctx, db, l); err != nil {
			return fmt.Errorf("load demo scorecards: %w", err)
		}
		if _, err := demo.LoadStudy(ctx, db, study.New(db, l.Files)); err != nil {
			return fmt.Errorf("load demo study: %w", err)
		}
	case demoMode:
		fmt.Fprintln(stdout, "The database already holds data: the demo was not loaded again (demo logins below still work if it was loaded before).")
		logins = nil
	default:
		pw, err := org.Bootstrap(ctx, db, cfg.AdminPassword)
		if err != nil {
			// Several nodes started at once on an empty PostgreSQL database:
			// one of them created the first admin and the others' inserts
			// collided with it. Once that one has committed, a second look
			// finds the admin and changes nothing.
			if pw2, err2 := org.Bootstrap(ctx, db, cfg.AdminPassword); err2 == nil && pw2 == "" {
				pw, err = "", nil
			}
		}
		if err != nil {
			return fmt.Errorf("first start: %w", err)
		}
		if pw != "" && cfg.AdminPassword == "" {
			// printed once, to the terminal only: never to the log
			fmt.Fprintf(stdout, "\nFirst start: created the user \"admin\" with the password\n\n    %s\n\nSign in at %s/login and change it under 我的账号.\n\n", pw, cfg.BaseURL)
		} else if pw != "" {
			fmt.Fprintf(stdout, "First start: created the user \"admin\" with the password from LUOSHI_ADMIN_PASSWORD.\n")
		}
	}

	srv := web.New(db, cfg, log)
	srv.Score.Every, srv.Warn.Every = cfg.ScoreEvery, cfg.ScoreEvery
	runner := jobs.NewRunner(db, log, srv.Metrics, jobs.Job{Name: "session_cleanup", Every: 10 * time.Minute,
		Run: func(ctx context.Context) error { _, err := auth.CleanupSessions(ctx, db, srv.Policy); return err }},
		srv.Ledger.Job(log), srv.Ledger.TallyJob(), srv.Reports.Job(log), srv.Search.Job(log), srv.Search.TrainJob(log), deliveryWorker(db, cfg, log).Job(),
		srv.Score.SnapshotJob(log), srv.Warn.SnapshotJob(log),
		attach.NewSweeper(db, cfg.Files()).Job(log))
	// the snapshot jobs of a fresh start make way for the requests
	runner.Pacer = &jobs.Pacer{Busy: srv.Activity.Busy}
	runner.Start(ctx)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	hs := httpServer(srv.Handler(), log)
	hs.TLSConfig = tlsCfg
	errc := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			errc <- hs.ServeTLS(ln, "", "") // the certificate is in TLSConfig already
			return
		}
		errc <- hs.Serve(ln)
	}()

	storage := "SQLite " + cfg.DatabaseTarget()
	if db.Dialect == store.Postgres {
		storage = "PostgreSQL"
	}
	log.Info("luoshi serving", "addr", ln.Addr().String(), "storage", storage, "schema", version)
	if logins != nil {
		demo.Print(stdout, cfg.BaseURL, logins)
	}
	fmt.Fprintf(stdout, "luoshi is running: open %s/  (Ctrl-C stops it)\n", cfg.BaseURL)

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

// Connection limits. A client that sends its headers slower than
// readHeaderTimeout, or its whole request slower than readTimeout, is cut off,
// so slow clients cannot hold connections open (slowloris); an answer that
// cannot be written within writeTimeout is abandoned; headers are capped at
// maxHeaderBytes (431 beyond). Variables so the tests can shorten them.
var (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 2 * time.Minute // a 400 MB upload needs > 27 Mbit/s
	writeTimeout      = 2 * time.Minute
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
)

func httpServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes,
		// TLS handshake noise from scanners would otherwise go to stderr unformatted
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
}

func migrate(args []string, stdout, stderr io.Writer) error {
	cfg, err := parse("migrate", args, stderr, nil)
	if err != nil {
		return err
	}
	db, v, err := open(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := openVault(context.Background(), cfg, db); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema version %d\n", v)
	return nil
}

func version(args []string, stdout, stderr io.Writer) error {
	cfg, err := parse("version", args, stderr, nil)
	if err != nil {
		return err
	}
	prog := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			prog = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				prog += " " + s.Value[:12]
			}
		}
	}
	fmt.Fprintf(stdout, "luoshi %s\n", prog)
	ctx := context.Background()
	target := cfg.DatabaseTarget()
	if cfg.DatabaseURL == "" {
		if _, err := os.Stat(target); err != nil {
			fmt.Fprintf(stdout, "database: none yet at %s\n", target)
			return nil
		}
	}
	db, err := store.Open(ctx, target)
	if err != nil {
		return err
	}
	defer db.Close()
	cur, latest, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	note := ""
	if cur < latest {
		note = " (will be upgraded at the next start or by luoshi migrate)"
	}
	fmt.Fprintf(stdout, "schema version %d, this binary carries %d%s\n", cur, latest, note)
	return nil
}

func token(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return &exitError{2, "usage: luoshi token create --user NAME [--name LABEL]"}
	}
	var user, name string
	cfg, err := parse("token create", args[1:], stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "username the token acts as")
		fs.StringVar(&name, "name", "cli", "a label to recognise the token by")
	})
	if err != nil {
		return err
	}
	if user == "" {
		return &exitError{2, "--user is required"}
	}
	db, _, err := open(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	secret, _, err := auth.CreateToken(context.Background(), db, nil, user, name)
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	fmt.Fprintln(stdout, secret)
	return nil
}

func auditCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return &exitError{2, "usage: luoshi audit verify"}
	}
	cfg, err := parse("audit verify", args[1:], stderr, nil)
	if err != nil {
		return err
	}
	db, err := store.Open(context.Background(), cfg.DatabaseTarget())
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := audit.Verify(context.Background(), db)
	var b *audit.Break
	if errors.As(err, &b) {
		fmt.Fprintf(stdout, "audit chain BROKEN after %d good entries: entry %d %s\n", n, b.Seq, b.Reason)
		return &exitError{3, fmt.Sprintf("audit chain broken at entry %d", b.Seq)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "audit chain intact: %d entries\n", n)
	return nil
}

func backupCmd(args []string, stdout, stderr io.Writer) error {
	var out string
	cfg, err := parse("backup", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "the .tar.gz file to write")
	})
	if err != nil {
		return err
	}
	if out == "" {
		return &exitError{2, "--out FILE is required"}
	}
	db, err := store.Open(context.Background(), cfg.DatabaseTarget())
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := backup.WriteFrom(context.Background(), db, cfg.Files(), out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s (%d files; attachments copied from %s)\n", out, n, cfg.Files())
	return nil
}

func restoreCmd(args []string, stdout, stderr io.Writer) error {
	var in string
	cfg, err := parse("restore", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&in, "in", "", "the backup .tar.gz to unpack")
	})
	if err != nil {
		return err
	}
	if in == "" {
		return &exitError{2, "--in FILE is required"}
	}
	if cfg.DatabaseURL != "" {
		return errors.New("restore unpacks an SQLite backup into --data; for PostgreSQL use pg_restore")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	n, err := backup.RestoreTo(in, cfg.DataDir, cfg.Files())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %d files into %s; the backup holds no master key: copy %s from your key backup into it, then start it with: luoshi serve --data %s\n",
		n, cfg.DataDir, vault.KeyFileName, filepath.Clean(cfg.DataDir))
	return nil
}

// checkFiles makes sure uploads can be stored before serving: the folder
// exists (a PostgreSQL node may start without one: an upload then fails
// alone), or the bucket answers with the configured keys.
func checkFiles(ctx context.Context, cfg *config.Config, sqlite bool) error {
	switch b := cfg.Files().(type) {
	case *blob.Dir:
		if err := os.MkdirAll(b.Root, 0o700); err != nil && sqlite {
			return err
		}
	case *blob.S3:
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return b.Check(ctx)
	}
	return nil
}

// openVault loads the master key (creating the key file on first start) and
// refuses to go on when the database was bound to another key: starting with
// a lost or wrong key must never pass silently.
func openVault(ctx context.Context, cfg *config.Config, db *store.DB) (*vault.Vault, error) {
	v, err := vault.LoadKey(cfg.DataDir, cfg.MasterKey)
	if err != nil {
		return nil, &exitError{4, "master key: " + err.Error()}
	}
	if err := v.Check(ctx, db.Write); err != nil {
		return nil, &exitError{4, err.Error()}
	}
	return v, nil
}

// keyCmd: luoshi key check verifies the master key against the database
// without creating a key file or registering a key.
func keyCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return &exitError{2, "usage: luoshi key check"}
	}
	cfg, err := parse("key check", args[1:], stderr, nil)
	if err != nil {
		return err
	}
	v, err := vault.LoadExistingKey(cfg.DataDir, cfg.MasterKey)
	if err != nil {
		return &exitError{4, "master key: " + err.Error()}
	}
	db, _, err := open(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	bound, err := v.Verify(context.Background(), db.Read)
	if err != nil {
		return &exitError{4, err.Error()}
	}
	if !bound {
		fmt.Fprintf(stdout, "master key %s from %s: the database has no key registered yet (the next start registers this one)\n", v.KeyID(), v.Source())
		return nil
	}
	fmt.Fprintf(stdout, "master key %s from %s matches the database\n", v.KeyID(), v.Source())
	return nil
}

// describe renders an error for the terminal, in English.
func describe(err error) string {
	if e := apperr.As(err); e != nil {
		return i18n.T(i18n.EN, e.Key, e.Args...)
	}
	return err.Error()
}
