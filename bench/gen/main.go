// Command gen fills a fresh luoshi database with bench data and writes the
// bench login accounts to a file, one username a line:
//
//	go run ./bench/gen --data DIR [--db URL] [--units 20000 --people 200000] [--problems N] --accounts FILE
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/luoshi/luoshi/bench/benchdata"
	"github.com/luoshi/luoshi/internal/store"
)

func main() {
	data := flag.String("data", "", "data folder: the SQLite database is DIR/luoshi.db (as luoshi serve --data uses it)")
	dbURL := flag.String("db", "", "postgres:// URL instead of SQLite")
	units := flag.Int("units", 20000, "units to generate")
	people := flag.Int("people", 200000, "people to generate (bench accounts included)")
	nacc := flag.Int("n-accounts", 200, "bench login accounts bench-0001..")
	accounts := flag.String("accounts", "", "file to write the bench usernames to")
	problems := flag.Int("problems", 0, "problem ledger items to add (e.g. 1000000 for the 晴雨表 target)")
	flag.Parse()
	if err := run(*data, *dbURL, *units, *people, *nacc, *accounts, *problems); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(data, dbURL string, units, people, nacc int, accounts string, problems int) error {
	target := dbURL
	if target == "" {
		if data == "" {
			return fmt.Errorf("--data or --db is required")
		}
		target = filepath.Join(data, "luoshi.db")
	}
	if accounts == "" {
		return fmt.Errorf("--accounts FILE is required")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, target)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	res, err := benchdata.Generate(ctx, db, benchdata.Config{Units: units, People: people, Accounts: nacc, Progress: os.Stderr})
	if err != nil {
		return err
	}
	if problems > 0 {
		if err := benchdata.GenerateProblems(ctx, db, benchdata.ProblemsConfig{N: problems, Progress: os.Stderr}); err != nil {
			return err
		}
	}
	var sb strings.Builder
	for _, a := range res.Accounts {
		sb.WriteString(a.Username + "\n")
	}
	if err := os.WriteFile(accounts, []byte(sb.String()), 0o600); err != nil {
		return err
	}
	fmt.Printf("generated %d units (max depth %d), %d people, %d role grants in %s (%s); %d bench accounts in %s, password %q\n",
		res.Units, res.MaxDepth, res.People, res.Roles, res.Elapsed.Round(1e7), db.Dialect, len(res.Accounts), accounts, benchdata.Password)
	return nil
}
