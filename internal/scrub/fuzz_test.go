package scrub

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Each parser gets garbage: it may refuse, never panic, and what it accepts
// is clean for good: cleaning the output again accepts it unchanged.
// Seeds: the files built in build_test.go and the corpus in testdata/fuzz.

func fuzzCleaner(f *testing.F, clean func([]byte) ([]byte, error), seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := clean(b)
		if err != nil {
			return
		}
		again, err := clean(out)
		if err != nil {
			t.Fatalf("the cleaned output is refused: %v", err)
		}
		if !bytes.Equal(again, out) {
			t.Fatal("cleaning is not idempotent")
		}
	})
}

func FuzzJPEG(f *testing.F) { fuzzCleaner(f, cleanJPEG, buildJPEG(f, 6)) }
func FuzzPNG(f *testing.F)  { fuzzCleaner(f, cleanPNG, buildPNG(f)) }
func FuzzGIF(f *testing.F)  { fuzzCleaner(f, cleanGIF, buildGIF(f)) }
func FuzzWebP(f *testing.F) {
	w, _ := buildWebP()
	fuzzCleaner(f, cleanWebP, w, webpLossless1x1)
}
func FuzzPDF(f *testing.F) {
	fuzzCleaner(f, cleanPDF, buildPDF(false, ""), buildPDF(true, ""), objStmPDF("<< /Type /Annot >>", false))
}
func FuzzOffice(f *testing.F) {
	// a small unpacking budget: at the real one (200 MB) one mutated input
	// unpacks for minutes under the fuzzer's instrumentation
	defer func(old int64) { maxZipUnpacked = old }(maxZipUnpacked)
	maxZipUnpacked = 1 << 20
	fuzzCleaner(f, cleanOffice("word/document.xml"), buildSmallDOCX(f))
}

// TestOfficeRealisticIdempotent keeps FuzzOffice's property on realistic
// files (deflated parts, photos, comments, a workbook), which no longer seed
// the fuzzer: what the cleaner accepts, it accepts again unchanged.
func TestOfficeRealisticIdempotent(t *testing.T) {
	files := map[string][]byte{
		"docx":          buildDOCX(t, nil),
		"docx-comments": buildDOCX(t, map[string]string{"ppt/commentAuthors.xml": `<p:cmAuthorLst xmlns:p="p"><p:cmAuthor id="1" name="x" initials="X"/></p:cmAuthorLst>`, "xl/comments1.xml": `<comments><authors><author>x</author></authors></comments>`}),
		"docx-small":    buildSmallDOCX(t),
	}
	for name, b := range files {
		t.Run(name, func(t *testing.T) {
			clean := cleanOffice("word/document.xml")
			out, err := clean(b)
			if err != nil {
				t.Fatal(err)
			}
			again, err := clean(out)
			if err != nil {
				t.Fatalf("the cleaned output is refused: %v", err)
			}
			if !bytes.Equal(again, out) {
				t.Fatal("cleaning is not idempotent")
			}
		})
	}
	out, err := cleanOffice("xl/workbook.xml")(buildXLSX(t))
	if err != nil {
		t.Fatal(err)
	}
	if again, err := cleanOffice("xl/workbook.xml")(out); err != nil || !bytes.Equal(again, out) {
		t.Fatalf("workbook: cleaning again gave err %v, same %v", err, bytes.Equal(again, out))
	}
}

// FuzzInspect: the checks on files kept as uploaded (ledger evidence) never
// panic, and what they pass contains no program or web page signature.
func FuzzInspect(f *testing.F) {
	defer func(old int64) { maxZipUnpacked = old }(maxZipUnpacked)
	maxZipUnpacked = 1 << 20
	f.Add("a.png", buildPNG(f))
	f.Add("a.jpg", buildJPEG(f, 1))
	f.Add("a.docx", buildDOCX(f, nil))
	f.Add("a.pdf", buildPDF(false, ""))
	f.Add("a.txt", []byte("<svg onload=alert(1)>"))
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		if Inspect(name, b) == nil && sniffDanger(b) != dangerNone {
			t.Fatalf("passed a dangerous file")
		}
	})
}

func FuzzClean(f *testing.F) {
	f.Add("a.jpg", buildJPEG(f, 1))
	f.Add("../../x", []byte("<html><script>"))
	f.Add("a.txt", []byte("情况说明"))
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		r, err := Clean(name, b)
		if err != nil {
			return
		}
		if r.Name == "" || r.Name != CleanName(r.Name) || r.MIME == "" {
			t.Fatalf("accepted with name %q, type %q", r.Name, r.MIME)
		}
		if _, err := Clean(r.Name, r.Data); err != nil {
			t.Fatalf("the cleaned file is refused: %v", err)
		}
	})
}

// TestWriteFuzzSeeds rewrites testdata/fuzz from the builders when
// SCRUB_WRITE_SEEDS=1 (after a builder changes); otherwise it checks that the
// committed corpus exists.
func TestWriteFuzzSeeds(t *testing.T) {
	w, _ := buildWebP()
	seeds := map[string][]byte{
		"FuzzJPEG/exif-gps":     buildJPEG(t, 6),
		"FuzzPNG/text-chunks":   buildPNG(t),
		"FuzzGIF/comment-xmp":   buildGIF(t),
		"FuzzWebP/exif-xmp":     w,
		"FuzzPDF/info-xmp":      buildPDF(false, ""),
		"FuzzPDF/flate-xmp":     buildPDF(true, ""),
		"FuzzPDF/objstm":        objStmPDF("<< /Type /Annot >>", false),
		"FuzzOffice/docx-small": buildSmallDOCX(t),
	}
	for name, b := range seeds {
		p := filepath.Join("testdata", "fuzz", name)
		if os.Getenv("SCRUB_WRITE_SEEDS") == "1" {
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte("go test fuzz v1\n[]byte("+strconv.Quote(string(b))+")\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("seed %s missing (run with SCRUB_WRITE_SEEDS=1): %v", name, err)
		}
	}
}
