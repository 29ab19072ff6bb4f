package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func ledgerSheet(t *testing.T, rows ...[]any) string {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		x.SetSheetRow("Sheet1", cell, &r)
	}
	file := filepath.Join(t.TempDir(), "台账.xlsx")
	if err := x.SaveAs(file); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestLedgerImportExportCommands(t *testing.T) {
	for _, d := range storetest.Engines(t) {
		t.Run(string(d), func(t *testing.T) {
			flags := target(t, d)
			runOK(t, append([]string{"migrate"}, flags...)...)
			dbTarget := filepath.Join(flags[1], "luoshi.db")
			if d != store.SQLite {
				dbTarget = flags[3]
			}
			ctx := context.Background()
			db, err := store.Open(ctx, dbTarget)
			if err != nil {
				t.Fatal(err)
			}
			sys := org.SystemPrincipal()
			for _, u := range []org.UnitInput{{Code: "c", Name: "明川市委政法委", Kind: "city"},
				{Code: "c-k", Name: "东城区委政法委", Kind: "county", ParentCode: "c"}} {
				if _, err := org.CreateUnit(ctx, db, sys, u); err != nil {
					t.Fatal(err)
				}
			}
			for _, u := range []org.UserInput{
				{Username: "hand", Name: "张承办", UnitCode: "c", Roles: []org.RoleGrant{{Role: "handler"}}},
				{Username: "off", Name: "李干警", UnitCode: "c-k", Roles: []org.RoleGrant{{Role: "officer"}}},
			} {
				u.Password = "correct-horse-9"
				if _, err := org.CreateUser(ctx, db, sys, u); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			deadline := time.Now().AddDate(0, 1, 0).Format("2006年1月2日")
			header := []any{"序号", "问题描述", "问题来源", "整改类别", "整改措施", "责任单位", "责任人", "完成时限"}
			good := ledgerSheet(t, header,
				[]any{1, "执行案件超期未结", "督查巡察", "限期整改", "逐案清理", "东城区委政法委", "李干警", deadline},
				[]any{2, "接待群众态度生硬", "群众反映", "立行立改", "谈话提醒", "", "hand", deadline})

			// a bad file: every error on stdout in Chinese, exit 4, nothing written
			bad := ledgerSheet(t, header, []any{1, "x", "督查巡察", "限期整改", "m", "", "hand", "下月底"})
			var out, errb bytes.Buffer
			err = run(append([]string{"ledger", "import", bad, "--unit", "c", "--as", "hand"}, flags...), &out, &errb)
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != 4 || !strings.Contains(out.String(), "第 2 行\t完成时限\t日期“下月底”无法识别") {
				t.Fatalf("bad import: %v\n%s", err, out.String())
			}
			// --as is required; an officer may not record problems
			if err := run(append([]string{"ledger", "import", good, "--unit", "c"}, flags...), &out, &errb); err == nil {
				t.Fatal("import without --as")
			}
			if err := run(append([]string{"ledger", "import", good, "--unit", "c-k", "--as", "off"}, flags...), &out, &errb); err == nil {
				t.Fatal("an officer imported")
			}

			out.Reset()
			errb.Reset()
			if err := run(append([]string{"ledger", "import", good, "--unit", "c", "--as", "hand"}, flags...), &out, &errb); err != nil {
				t.Fatalf("import: %v\n%s", err, errb.String())
			}
			if !strings.Contains(out.String(), "recorded 2 items") || !strings.Contains(errb.String(), "import [####################] 100% 2/2") {
				t.Fatalf("import output: %q / %q", out.String(), errb.String())
			}

			file := filepath.Join(t.TempDir(), "out.xlsx")
			if o := runOK(t, append([]string{"ledger", "export", "--as", "hand", "--unit", "c-k", "--out", file}, flags...)...); !strings.Contains(o, "exported 1 items") {
				t.Fatalf("export: %q", o)
			}
			x, err := excelize.OpenFile(file)
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := x.GetRows(x.GetSheetList()[0])
			if len(rows) != 2 || rows[1][2] != "执行案件超期未结" || rows[1][7] != "李干警" {
				t.Fatalf("exported rows %v", rows)
			}
			if err := run(append([]string{"ledger", "export", "--as", "hand", "--status", "nonsense", "--out", file}, flags...), &out, &errb); err == nil {
				t.Fatal("a bad filter exported")
			}
		})
	}
}
