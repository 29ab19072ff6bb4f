package scrub

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
)

// zipMarking writes files as a zip whose entries named in folders carry the
// mode bits of a folder (Unix and MS-DOS attributes) while keeping their
// name and their content: what a hand-made archive can do, and what some
// unpackers write out as a file all the same.
func zipMarking(t testing.TB, files [][2]string, folders ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f[0], Method: zip.Deflate}
		if slices.Contains(folders, f[0]) {
			h.SetMode(fs.ModeDir | 0o755)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(f[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestZipEntryMarkedAsFolder: found by fuzzing. An entry whose mode bits say
// "folder" was skipped by the checks — its bytes did not count towards the
// unpacking budget of Inspect, and a [Content_Types].xml so marked escaped
// the macro check of the Office cleaner.
func TestZipEntryMarkedAsFolder(t *testing.T) {
	defer func(old int64) { maxZipUnpacked = old }(maxZipUnpacked)
	maxZipUnpacked = 1 << 20
	zeros := strings.Repeat("\x00", 600<<10) // each under the budget, together over it

	t.Run("inspect counts a folder's bytes", func(t *testing.T) {
		files := [][2]string{{"a/", ""}, {"b", zeros}, {"c", zeros}, {"d", zeros}}
		for _, folders := range [][]string{nil, {"b", "c", "d"}} {
			err := Inspect("a.zip", zipMarking(t, files, folders...))
			if e := apperr.As(err); e == nil || e.Key != "err.scrub.bomb" {
				t.Errorf("folders %v: err = %v, want err.scrub.bomb", folders, err)
			}
		}
		// a real folder (name ending in "/", nothing inside) is no bomb
		if err := Inspect("a.zip", zipMarking(t, [][2]string{{"a/", ""}, {"a/b.txt", "x"}}, "a/")); err != nil {
			t.Errorf("plain archive with a folder: %v", err)
		}
	})

	t.Run("office cleaner reads a folder-marked part", func(t *testing.T) {
		docx := func(types string, folders ...string) []byte {
			return zipMarking(t, [][2]string{
				{"[Content_Types].xml", types},
				{"word/", ""},
				{"word/document.xml", `<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>正文</w:t></w:r></w:p></w:body></w:document>`},
			}, folders...)
		}
		macro := `<Types><Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>`
		plain := `<Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`
		cases := []struct {
			name string
			data []byte
			key  string // "" accepted
		}{
			{"plain", docx(plain, "word/"), ""},
			{"macro content type", docx(macro), "err.scrub.macro"},
			{"macro content type marked as folder", docx(macro, "[Content_Types].xml"), "err.scrub.damaged"},
			{"content types marked as folder", docx(plain, "[Content_Types].xml"), "err.scrub.damaged"},
			{"main part marked as folder", docx(plain, "word/document.xml"), "err.scrub.damaged"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r, err := Clean("a.docx", c.data)
				if c.key == "" {
					if err != nil {
						t.Fatal(err)
					}
					if _, err := Clean("a.docx", r.Data); err != nil {
						t.Fatalf("cleaned file refused: %v", err)
					}
					return
				}
				if e := apperr.As(err); e == nil || e.Key != c.key {
					t.Fatalf("err = %v, want %s", err, c.key)
				}
			})
		}
	})
}
