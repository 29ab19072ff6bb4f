// Package tipdm reads the citizen-message data set of the 2020 TipDM
// challenge (problem C) used to test and measure internal/text. The data is
// never shipped: tests and bench/texteval read it from a directory (see
// /work/shared/data/tipdm2020c/README.md) and skip when it is absent.
package tipdm

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// File names of the data set.
const (
	Taxonomy = "attachment1_label_taxonomy.csv"
	Labeled  = "attachment2_sample_labeled_messages.csv"
	Votes    = "attachment3_full_messages_with_votes.csv"
	Replies  = "attachment4_full_messages_with_replies.csv"
)

// Message is one row of attachments 2–4; absent columns stay zero.
type Message struct {
	ID        string
	User      string
	Subject   string
	Time      time.Time
	Body      string
	Label     string // 一级分类 (attachment 2)
	Against   int    // 反对数 (attachment 3)
	Votes     int    // 点赞数 (attachment 3)
	Reply     string // 答复意见 (attachment 4)
	ReplyTime time.Time
}

// Text is the subject and body, as the classifier and grouping read them.
func (m Message) Text() string { return m.Subject + "\n" + m.Body }

// TestDir is where the tests of internal/text find the data, relative to
// the package directory.
var TestDir = filepath.Join("..", "..", "..", "shared", "data", "tipdm2020c")

// ErrMissing reports that the data set is not there.
var ErrMissing = errors.New("tipdm data set not found")

// Load reads one attachment file of dir.
func Load(dir, file string) ([]Message, error) {
	f, err := os.Open(filepath.Join(dir, file))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrMissing, filepath.Join(dir, file))
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []Message
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		m := Message{
			ID:      get(rec, "留言编号"),
			User:    get(rec, "留言用户"),
			Subject: get(rec, "留言主题"),
			Body:    get(rec, "留言详情"),
			Label:   get(rec, "一级分类"),
			Reply:   get(rec, "答复意见"),
		}
		m.Time = parseTime(get(rec, "留言时间"))
		m.ReplyTime = parseTime(get(rec, "答复时间"))
		m.Against, _ = strconv.Atoi(get(rec, "反对数"))
		m.Votes, _ = strconv.Atoi(get(rec, "点赞数"))
		out = append(out, m)
	}
	return out, nil
}

var layouts = []string{"2006/1/2 15:04:05", "2006/1/2 15:04", "2006-01-02 15:04:05", "2006-1-2 15:04:05", "2006/1/2", "2006-01-02"}

func parseTime(s string) time.Time {
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}
