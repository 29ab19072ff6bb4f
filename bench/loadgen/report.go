package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// oneReport is a step of the report mix: nine public submissions (encrypted
// and durably committed before the 201) for every look-up by receipt and key
// (which includes the slow hash of the key).
func (w *worker) oneReport() {
	if len(w.receipts) > 0 && w.rnd.IntN(10) == 0 {
		rk := w.receipts[w.rnd.IntN(len(w.receipts))]
		body, _ := json.Marshal(map[string]string{"receipt": rk[0], "key": rk[1]})
		w.post("POST /api/v1/public/reports/lookup", "/api/v1/public/reports/lookup", body, nil)
		return
	}
	n := w.rnd.Int()
	body := fmt.Sprintf(`{"category":"work","unit_code":%q,"subject":"压测举报 %d","content":%q,"when":"2026年","where":"某地",`+
		`"accused":[{"name":"某某","post":"民警"}],"reporter":{"name":"压测","phone":"13800000000"}}`,
		w.o.unit, n, strings.Repeat("群众反映的具体情况。", 40))
	var rc struct{ Receipt, Key string }
	if w.post("POST /api/v1/public/reports", "/api/v1/public/reports", []byte(body), &rc) && len(w.receipts) < 1000 {
		w.receipts = append(w.receipts, [2]string{rc.Receipt, rc.Key})
	}
}

func (w *worker) post(route, path string, body []byte, out any) bool {
	req, _ := http.NewRequest("POST", w.o.base.String()+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	t := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		w.samples = append(w.samples, sample{route, time.Since(t)})
		w.errs["transport"]++
		return false
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	w.samples = append(w.samples, sample{route, time.Since(t)})
	if resp.StatusCode/100 != 2 {
		w.errs[fmt.Sprint(resp.StatusCode)]++
		return false
	}
	if out != nil {
		return json.Unmarshal(b, out) == nil
	}
	return true
}

var pickRe = regexp.MustCompile(`data-pick="([^"]+)"`)

// findUnit asks the public unit search for a court, as a citizen's browser would.
func findUnit(o *options) (string, error) {
	resp, err := http.Get(o.base.String() + "/report/units?unit_code=" + url.QueryEscape("法院"))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := pickRe.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("the unit search found no court")
	}
	return string(m[1]), nil
}
