// Command ledgersheet writes a ledger .xlsx of N rows in the office's columns,
// for measuring `luoshi ledger import`:
//
//	go run ./bench/ledgersheet --rows 10000 --people a,b,c --deadline 2027-01-15 --out sheet.xlsx
//
// The rows cycle through the given responsible people (usernames or names)
// and leave 责任单位 empty, so they land in the import's --unit.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

func main() {
	rows := flag.Int("rows", 10000, "data rows")
	people := flag.String("people", "", "comma-separated responsible people")
	deadline := flag.String("deadline", "", "first deadline (YYYY-MM-DD); the rows spread over the 28 days from it")
	out := flag.String("out", "", "the .xlsx to write")
	flag.Parse()
	if err := run(*rows, strings.Split(*people, ","), *deadline, *out); err != nil {
		fmt.Fprintln(os.Stderr, "ledgersheet:", err)
		os.Exit(1)
	}
}

func run(n int, people []string, deadline, out string) error {
	if out == "" || len(people) == 0 || people[0] == "" {
		return fmt.Errorf("--out and --people are required")
	}
	first, err := time.Parse(time.DateOnly, deadline)
	if err != nil {
		return fmt.Errorf("--deadline: %w", err)
	}
	x := excelize.NewFile()
	defer x.Close()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	sources := []string{"自查自纠", "督查巡察", "群众反映", "差评", "线索转办", "其他"}
	classes := []string{"立行立改", "限期整改", "长期整改"}
	if err := sw.SetRow("A1", []any{"序号", "问题编号", "问题描述", "问题来源", "整改类别", "整改措施", "责任单位", "责任人", "完成时限"}); err != nil {
		return err
	}
	for i := range n {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		d := first.AddDate(0, 0, i%28)
		if err := sw.SetRow(cell, []any{i + 1, "", "问题 " + strconv.Itoa(i+1) + ":窗口办事推诿,群众多次反映,需建立首问负责制",
			sources[i%len(sources)], classes[i%len(classes)], "建立首问负责制,每周通报,月底前完成回访", "",
			people[i%len(people)], fmt.Sprintf("%d年%d月%d日", d.Year(), d.Month(), d.Day())}); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return x.SaveAs(out)
}
