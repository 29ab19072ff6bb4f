package text_test

import (
	"context"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/text"
)

// TestSearchEngines stores SearchText columns in a scratch table and runs
// ParseQuery queries on the real engines: FTS5 unicode61 on SQLite,
// to_tsvector('simple') with phrase operators on PostgreSQL.
func TestSearchEngines(t *testing.T) {
	docs := []string{
		"A市A3区一米阳光婚纱艺术摄影是否合法纳税了？",
		"A3区大道西行便道，未管所路口至加油站路段",
		"关于拆迁补偿款迟迟不到位的问题",
		"拆迁安置与补偿标准不公",
		"西湖建筑集团占道施工，ＷｉＦｉ信号也差",
		"A3栋区政府门口一米的阳光",
		"小区停车位被占，小区 停车位收费",
		"老小区，停车位不够",
	}
	cases := []struct {
		q    string
		want []int
	}{
		{"拆迁", []int{3, 4}},
		{"拆迁补偿", []int{3}},
		{"拆迁 补偿", []int{3, 4}},
		{"A3区", []int{1, 2}},
		{"A3区 一米阳光", []int{1}},
		{"一米阳光", []int{1}},
		{"wifi", []int{5}},
		{"区", []int{1, 2, 6, 7, 8}},
		{`"西湖建筑"`, []int{5}},
		// a quoted phrase matches however the text spaces or punctuates it
		{`"西湖 建筑"`, []int{5}},
		{`"小区 停车位"`, []int{7, 8}},
		{`"小区停车位"`, []int{7}}, // written together: together in the text
		{`"小区，停车位被占"`, []int{7}},
		{`"A3区 一米阳光"`, []int{1}},
		{`"停车位 不够"`, []int{8}},
		{"纳税", []int{1}},
		{"地铁", nil},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var search string
		if db.Dialect == store.SQLite {
			if _, err := db.Write.ExecContext(ctx, `CREATE VIRTUAL TABLE text_probe USING fts5(body, tokenize='unicode61')`); err != nil {
				t.Fatal(err)
			}
			search = `SELECT rowid FROM text_probe WHERE text_probe MATCH $1 ORDER BY rowid`
		} else {
			if _, err := db.Write.ExecContext(ctx, `CREATE TABLE text_probe (rowid BIGINT PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Write.ExecContext(ctx, `CREATE INDEX text_probe_fts ON text_probe USING gin (to_tsvector('simple', body))`); err != nil {
				t.Fatal(err)
			}
			search = `SELECT rowid FROM text_probe WHERE to_tsvector('simple', body) @@ to_tsquery('simple', $1) ORDER BY rowid`
		}
		for i, d := range docs {
			if _, err := db.Write.ExecContext(ctx, `INSERT INTO text_probe (rowid, body) VALUES ($1, $2)`, i+1, text.SearchText(d)); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range cases {
			q := text.ParseQuery(c.q)
			expr := q.FTS5()
			if db.Dialect == store.Postgres {
				expr = q.TSQuery()
			}
			rows, err := db.Read.QueryContext(ctx, search, expr)
			if err != nil {
				t.Fatalf("%q (%s): %v", c.q, expr, err)
			}
			var got []int
			for rows.Next() {
				var id int
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
			rows.Close()
			if len(got) != len(c.want) {
				t.Errorf("%q (%s): rows %v, want %v", c.q, expr, got, c.want)
				continue
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("%q (%s): rows %v, want %v", c.q, expr, got, c.want)
					break
				}
			}
		}
	})
}
