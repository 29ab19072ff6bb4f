package main

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// hostileFile is an upload built to hurt: the server, a staff member's
// machine or a browser.
type hostileFile struct {
	what, name string
	data       []byte
	// sanitized: the upload may be accepted, but its name must then be
	// reduced to a plain file name (path traversal)
	sanitized bool
}

func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

// hugePNG declares 100,000 × 100,000 pixels (30 GB decoded) in a few bytes.
func hugePNG() []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	idat := []byte{0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01}
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", idat)...)
	return append(out, pngChunk("IEND", nil)...)
}

func smallJPEG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipOf(t *testing.T, files map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	zw.Close()
	return b.Bytes()
}

func hostileFiles(t *testing.T) []hostileFile {
	types := []byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>`)
	bomb := zipOf(t, map[string][]byte{"[Content_Types].xml": types, "word/document.xml": []byte("<w:document/>"),
		"word/media/zeros.bin": make([]byte, 300<<20)}) // 300 MB of zeros: about 300 KB zipped
	jpg := smallJPEG(t)
	return []hostileFile{
		{what: "zip bomb as .docx", name: "会议纪要.docx", data: bomb},
		{what: "zip bomb as .zip", name: "材料.zip", data: bomb},
		{what: "PNG declaring 100k×100k pixels", name: "现场照片.png", data: hugePNG()},
		{what: "JPEG+ZIP polyglot", name: "照片.jpg", data: append(append([]byte{}, jpg...), zipOf(t, map[string][]byte{"run.exe": []byte("MZ\x90\x00")})...)},
		{what: "PDF+HTML polyglot", name: "报告.pdf", data: []byte("%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n")},
		{what: "HTML named .pdf", name: "报告.pdf", data: []byte("<html><script>alert(1)</script></html>")},
		{what: "SVG with script", name: "图.svg", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)},
		{what: "SVG with script named .png", name: "图.png", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
		{what: "SVG with script named .txt", name: "说明.txt", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
		{what: "program named .jpg", name: "照片.jpg", data: append([]byte("MZ\x90\x00\x03"), make([]byte, 200)...)},
		{what: "path traversal name", name: "../../../../etc/cron.d/说明.txt", data: []byte("情况说明"), sanitized: true},
		{what: "Windows path traversal name", name: `..\..\Windows\说明.txt`, data: []byte("情况说明"), sanitized: true},
		{what: "empty file", name: "空.txt", data: nil},
		{what: "oversize file", name: "大.txt", data: bytes.Repeat([]byte("a"), 21<<20)},
	}
}

// TestHostileUploads sends each hostile file through the real upload paths
// of the running binary: ledger evidence (a progress report) and a public
// report. Each is refused with a 4xx whose message is in Chinese, and
// nothing is stored: no attachment or report file row, no new report or
// progress event. Names with a path are reduced to the file's own name.
func TestHostileUploads(t *testing.T) {
	bin := buildLuoshi(t)
	for _, d := range storetest.Engines(t) {
		t.Run(string(d), func(t *testing.T) {
			dir := t.TempDir()
			flags := []string{"--data", dir}
			dbURL := filepath.Join(dir, "luoshi.db")
			if d == store.Postgres {
				dbURL = freshPostgresDB(t)
				flags = append(flags, "--db", dbURL)
			}
			tokens := seedCrash(t, dbURL)
			srv := startServer(t, bin, flags)
			defer srv.stop()
			problem := createProblems(t, srv.base, tokens, 1)[0]
			db, err := store.Open(t.Context(), dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			count := func() (n int) {
				db.Read.QueryRowContext(t.Context(), `SELECT (SELECT COUNT(*) FROM attachments) + (SELECT COUNT(*) FROM report_files) + (SELECT COUNT(*) FROM reports)`).Scan(&n)
				return n
			}
			send := func(path, ct string, body io.Reader, auth bool) (int, string) {
				req, _ := http.NewRequest("POST", srv.base+path, body)
				req.Header.Set("Content-Type", ct)
				req.Header.Set("Accept-Language", "zh-CN")
				if auth {
					req.Header.Set("Authorization", "Bearer "+tokens["off"])
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				return res.StatusCode, string(b)
			}
			chinese := func(s string) bool {
				var v struct{ Error struct{ Message string } }
				json.Unmarshal([]byte(s), &v)
				for _, r := range v.Error.Message {
					if unicode.Is(unicode.Han, r) {
						return true
					}
				}
				return false
			}
			rep := `{"category":"work","unit_code":"court","subject":"恶意上传测试","content":"内容内容内容内容内容内容内容内容内容内容","reporter":{"name":"测试人","phone":"13800000000"}}`
			for i, h := range hostileFiles(t) {
				for _, path := range []string{"ledger", "report"} {
					before := count()
					var st int
					var b string
					if path == "ledger" {
						ct, body := multipartBody(map[string]string{"note": fmt.Sprintf("恶意上传 %d", i), "percent": "10"}, "evidence", h.name, h.data)
						st, b = send(fmt.Sprintf("/api/v1/problems/%d/progress", problem), ct, body, true)
					} else {
						ct, body := multipartBody(map[string]string{"report": rep}, "evidence", h.name, h.data)
						st, b = send("/api/v1/public/reports", ct, body, false)
					}
					if h.sanitized && st < 300 {
						var name string
						db.Read.QueryRowContext(t.Context(), `SELECT name FROM attachments ORDER BY id DESC LIMIT 1`).Scan(&name)
						if path == "ledger" && (strings.ContainsAny(name, `/\`) || strings.Contains(name, "..")) {
							t.Errorf("%s via %s: stored as %q", h.what, path, name)
						}
						continue
					}
					if st < 400 || st >= 500 || !chinese(b) {
						t.Errorf("%s via %s: %d %.300s; want a 4xx with a Chinese message", h.what, path, st, b)
					}
					if n := count(); n != before {
						t.Errorf("%s via %s: %d rows stored", h.what, path, n-before)
					}
				}
			}
		})
	}
}
