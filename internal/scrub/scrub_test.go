package scrub

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"image"
	"image/gif"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/luoshi/luoshi/internal/apperr"
)

// secrets lists what no cleaned file may contain.
var secrets = []string{secretMake, secretAuthor, secretComment, secretXMP, secretCompany}

func assertNoSecrets(t *testing.T, b []byte) {
	t.Helper()
	for _, s := range secrets {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("cleaned file still contains %q", s)
		}
		// and not as UTF-16 either (PDF hex strings, Office)
		u := utf16.Encode([]rune(s))
		be := make([]byte, 2*len(u))
		for i, c := range u {
			binary.BigEndian.PutUint16(be[2*i:], c)
		}
		if bytes.Contains(b, be) || bytes.Contains(bytes.ToUpper(b), []byte(strings.ToUpper(hexOf(be)))) {
			t.Errorf("cleaned file still contains %q in UTF-16", s)
		}
	}
}

func hexOf(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

func mustClean(t *testing.T, name string, data []byte) Result {
	t.Helper()
	r, err := Clean(name, data)
	if err != nil {
		t.Fatalf("Clean(%q): %v", name, err)
	}
	// cleaning is idempotent: a cleaned file passes again unchanged
	again, err := Clean(r.Name, r.Data)
	if err != nil || !bytes.Equal(again.Data, r.Data) {
		t.Fatalf("cleaning the cleaned %q again: changed=%v err=%v", name, !bytes.Equal(again.Data, r.Data), err)
	}
	return r
}

func samePixels(t *testing.T, a, b []byte) {
	t.Helper()
	ia, fa, err := image.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, fb, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("cleaned image does not decode: %v", err)
	}
	if fa != fb || ia.Bounds() != ib.Bounds() {
		t.Fatalf("format %s→%s, bounds %v→%v", fa, fb, ia.Bounds(), ib.Bounds())
	}
	for y := ia.Bounds().Min.Y; y < ia.Bounds().Max.Y; y++ {
		for x := ia.Bounds().Min.X; x < ia.Bounds().Max.X; x++ {
			if ia.At(x, y) != ib.At(x, y) {
				t.Fatalf("pixel %d,%d changed", x, y)
			}
		}
	}
}

func TestJPEGLosesMetadataKeepsPixels(t *testing.T) {
	orig := buildJPEG(t, 6)
	if exifOrientation(exifAPP1(6)) != 6 {
		t.Fatal("test EXIF is not readable")
	}
	r := mustClean(t, "IMG_20261123_103000.jpg", orig)
	if r.MIME != "image/jpeg" || r.Name != "IMG_20261123_103000.jpg" {
		t.Fatalf("%q %q", r.Name, r.MIME)
	}
	assertNoSecrets(t, r.Data)
	for _, gone := range []string{"http://ns.adobe.com/xap", "Photoshop 3.0", "JFXX", "trailing"} {
		if bytes.Contains(r.Data, []byte(gone)) {
			t.Errorf("%q survived", gone)
		}
	}
	if !bytes.Contains(r.Data, []byte("ICC_PROFILE")) {
		t.Error("the ICC profile was dropped")
	}
	samePixels(t, orig, r.Data)
	// only the orientation survives, in a minimal EXIF block without GPS
	i := bytes.Index(r.Data, []byte("Exif\x00\x00"))
	if i < 0 {
		t.Fatal("orientation not carried over")
	}
	n := int(binary.BigEndian.Uint16(r.Data[i-2:]))
	if got := exifOrientation(r.Data[i : i-2+n]); got != 6 || n != 34 {
		t.Fatalf("orientation %d in a %d-byte segment", got, n)
	}
	if _, err := jpegDecodeConfig(r.Data); err != nil {
		t.Fatal(err)
	}
	// the default orientation adds no EXIF at all
	plain := mustClean(t, "a.jpg", buildJPEG(t, 1))
	if bytes.Contains(plain.Data, []byte("Exif")) {
		t.Fatal("EXIF block written for the default orientation")
	}
}

func jpegDecodeConfig(b []byte) (image.Config, error) {
	c, _, err := image.DecodeConfig(bytes.NewReader(b))
	return c, err
}

func TestPNGLosesMetadataKeepsPixels(t *testing.T) {
	orig := buildPNG(t)
	r := mustClean(t, "截图.png", orig)
	assertNoSecrets(t, r.Data)
	for _, typ := range []string{"tEXt", "zTXt", "iTXt", "eXIf", "tIME", "prVt"} {
		if bytes.Contains(r.Data, []byte(typ)) {
			t.Errorf("chunk %s survived", typ)
		}
	}
	if !bytes.Contains(r.Data, []byte("pHYs")) {
		t.Error("pHYs (how to show it) was dropped")
	}
	samePixels(t, orig, r.Data)
	// a corrupted CRC is refused, not passed on
	bad := bytes.Clone(orig)
	bad[8+12+13-1] ^= 1
	if _, err := Clean("a.png", bad); err == nil {
		t.Fatal("PNG with a bad CRC accepted")
	}
}

func TestGIFLosesMetadataKeepsAnimation(t *testing.T) {
	orig := buildGIF(t)
	r := mustClean(t, "动图.gif", orig)
	assertNoSecrets(t, r.Data)
	if bytes.Contains(r.Data, []byte("XMP DataXMP")) || !bytes.Contains(r.Data, []byte("NETSCAPE2.0")) {
		t.Fatal("application extensions: XMP kept or looping dropped")
	}
	a, err := gif.DecodeAll(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	b, err := gif.DecodeAll(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatalf("cleaned GIF does not decode: %v", err)
	}
	if len(b.Image) != 2 || b.LoopCount != a.LoopCount || b.Image[1].Pix[9] != a.Image[1].Pix[9] {
		t.Fatalf("animation changed: %d frames, loop %d", len(b.Image), b.LoopCount)
	}
}

func TestWebPLosesMetadata(t *testing.T) {
	orig, vp8l := buildWebP()
	r := mustClean(t, "photo.webp", orig)
	assertNoSecrets(t, r.Data)
	if bytes.Contains(r.Data, []byte("EXIF")) || bytes.Contains(r.Data, []byte("XMP ")) {
		t.Fatal("EXIF or XMP chunk survived")
	}
	if got := binary.LittleEndian.Uint32(r.Data[4:]); int(got) != len(r.Data)-8 {
		t.Fatalf("RIFF size %d for %d bytes", got, len(r.Data))
	}
	if r.Data[12+8]&(0x08|0x04) != 0 || r.Data[12+8]&0x10 == 0 {
		t.Fatalf("VP8X flags %08b", r.Data[12+8])
	}
	if !bytes.Contains(r.Data, vp8l) {
		t.Fatal("the image chunk changed")
	}
	// the plain 1x1 image passes unchanged
	if p := mustClean(t, "p.webp", webpLossless1x1); !bytes.Equal(p.Data, webpLossless1x1) {
		t.Fatal("a WebP without metadata was changed")
	}
}

// checkPDFStructure verifies what a reader relies on: startxref points at the
// xref table and every entry points at its object.
func checkPDFStructure(t *testing.T, b []byte) {
	t.Helper()
	m := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no startxref")
	}
	x, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(b[x:], []byte("xref")) {
		t.Fatalf("startxref %d does not point at xref", x)
	}
	entries := regexp.MustCompile(`(\d{10}) (\d{5}) n`).FindAllSubmatch(b[x:], -1)
	if len(entries) == 0 {
		t.Fatal("empty xref")
	}
	for i, e := range entries {
		off, _ := strconv.Atoi(string(e[1]))
		if want := strconv.Itoa(i+1) + " 0 obj"; !bytes.HasPrefix(b[off:], []byte(want)) {
			t.Fatalf("xref entry %d points at %q", i+1, b[off:off+10])
		}
	}
	if exe, err := exec.LookPath("qpdf"); err == nil {
		f := filepath.Join(t.TempDir(), "c.pdf")
		os.WriteFile(f, b, 0o600)
		if out, err := exec.Command(exe, "--check", f).CombinedOutput(); err != nil {
			t.Fatalf("qpdf --check: %v\n%s", err, out)
		}
	}
}

func TestPDFLosesMetadataKeepsStructure(t *testing.T) {
	for _, compressed := range []bool{false, true} {
		t.Run("compressedXMP="+strconv.FormatBool(compressed), func(t *testing.T) {
			orig := buildPDF(compressed, "")
			checkPDFStructure(t, orig)
			r := mustClean(t, "情况说明.pdf", orig)
			if len(r.Data) != len(orig) {
				t.Fatalf("length %d → %d: offsets would break", len(orig), len(r.Data))
			}
			checkPDFStructure(t, r.Data)
			assertNoSecrets(t, r.Data)
			for _, gone := range []string{"D:2026", "Microsoft", "nested"} {
				if bytes.Contains(r.Data, []byte(gone)) {
					t.Errorf("%q survived", gone)
				}
			}
			// the keys stay (empty values), the page does too
			if !bytes.Contains(r.Data, []byte("/Author <")) || !bytes.Contains(r.Data, []byte(pageText)) {
				t.Fatal("structure or page content lost")
			}
			if compressed {
				// the stand-in metadata stream still inflates (to spaces)
				s := bytes.Index(r.Data, []byte("/Filter /FlateDecode"))
				ds := bytes.Index(r.Data[s:], []byte("stream\n")) + s + 7
				de := bytes.Index(r.Data[ds:], []byte("\nendstream")) + ds
				zr, err := zlib.NewReader(bytes.NewReader(r.Data[ds:de]))
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(zr)
				if err != nil || len(bytes.TrimSpace(body)) != 0 {
					t.Fatalf("metadata stream: %q %v", body, err)
				}
			}
		})
	}
}

func TestStoredZlib(t *testing.T) {
	for _, n := range []int{11, 12, 100, 65546, 65547, 65551, 131080, 200000} {
		z := storedZlib(n)
		if len(z) != n {
			t.Fatalf("%d: got %d bytes", n, len(z))
		}
		zr, err := zlib.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatalf("%d: %v", n, err)
		}
		body, err := io.ReadAll(zr)
		if err != nil || len(bytes.Trim(body, " ")) != 0 {
			t.Fatalf("%d: %v", n, err)
		}
	}
	if storedZlib(10) != nil {
		t.Fatal("too small")
	}
}

// objStmPDF puts a dictionary inside a compressed object stream.
func objStmPDF(inner string, info bool) []byte {
	p := &pdfBuilder{}
	p.buf.WriteString("%PDF-1.7\n")
	body := "7 0 " + inner
	p.obj("<< /Type /Catalog /Pages 2 0 R /OpenAction 7 0 R >>")
	p.obj("<< /Type /Pages /Kids [] /Count 0 >>")
	p.obj(stream("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", deflate([]byte(body))))
	trailer := "/Root 1 0 R"
	if info {
		trailer += " /Info 7 0 R"
	}
	return p.finish(trailer)
}

func TestPDFActiveContentIsRefused(t *testing.T) {
	cases := []struct {
		name string
		pdf  []byte
		key  string
	}{
		{"JavaScript action", buildPDF(false, "/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "err.scrub.pdf_active"},
		{"JS name in disguise", buildPDF(false, "/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"), "err.scrub.pdf_active"},
		{"Launch action", buildPDF(false, "/OpenAction << /S /Launch /F (cmd.exe) >>"), "err.scrub.pdf_active"},
		{"embedded file", buildPDF(false, "/Names << /EmbeddedFiles << /Names [(a.exe) 9 0 R] >> >>"), "err.scrub.pdf_active"},
		{"JavaScript in a compressed object stream", objStmPDF("<< /S /JavaScript /JS (app.alert(1)) >>", false), "err.scrub.pdf_active"},
		{"encrypted", buildPDF(false, "") /* patched below */, "err.scrub.pdf_encrypted"},
		{"information dictionary in an object stream", objStmPDF("<< /Author (someone) >>", true), "err.scrub.pdf_meta"},
		{"XMP in an unknown filter", bytes.Replace(buildPDF(true, ""), []byte("/Metadata /Subtype /XML /Filter /FlateDecode"), []byte("/Metadata /Subtype /XML /Filter /LZWDecode  "), 1), "err.scrub.pdf_meta"},
		{"no end", []byte("%PDF-1.4\n1 0 obj << >> endobj\n"), "err.scrub.damaged"},
	}
	cases[5].pdf = bytes.Replace(cases[5].pdf, []byte("/Size 8"), []byte("/Size 8 /Encrypt 9 0 R"), 1)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Clean("a.pdf", c.pdf)
			if e := apperr.As(err); e == nil || e.Key != c.key || e.Field != "file" || len(e.Args) != 1 || e.Args[0] != "a.pdf" {
				t.Fatalf("err = %#v, want %s", err, c.key)
			}
		})
	}
	// a harmless object stream is inspected and accepted
	if _, err := Clean("ok.pdf", objStmPDF("<< /Type /Annot /Subtype /Text >>", false)); err != nil {
		t.Fatal(err)
	}
}

func readZip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("cleaned zip does not open: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
		if f.Modified.Year() != 1980 {
			t.Errorf("%s keeps its time %v", f.Name, f.Modified)
		}
	}
	if zr.Comment != "" {
		t.Error("zip comment kept")
	}
	return files
}

func TestDOCXLosesProperties(t *testing.T) {
	orig := buildDOCX(t, nil)
	r := mustClean(t, "举报材料.docx", orig)
	if !strings.HasPrefix(r.MIME, "application/vnd.openxmlformats-officedocument.wordprocessingml") {
		t.Fatal(r.MIME)
	}
	files := readZip(t, r.Data)
	for name, body := range files {
		for _, s := range secrets {
			if bytes.Contains(body, []byte(s)) {
				t.Errorf("%s still contains %q", name, s)
			}
		}
	}
	for _, gone := range []string{"docProps/custom.xml", "docProps/thumbnail.jpeg"} {
		if _, ok := files[gone]; ok {
			t.Errorf("%s kept", gone)
		}
	}
	if bytes.Contains(files["_rels/.rels"], []byte("custom.xml")) || bytes.Contains(files["_rels/.rels"], []byte("thumbnail")) ||
		bytes.Contains(files["[Content_Types].xml"], []byte("custom.xml")) {
		t.Error("references to dropped parts remain")
	}
	if !bytes.Contains(files["_rels/.rels"], []byte("word/document.xml")) || !bytes.Contains(files["word/document.xml"], []byte(pageText)) {
		t.Fatal("the document itself was damaged")
	}
	if bytes.Contains(files["docProps/app.xml"], []byte("Template")) || bytes.Contains(files["docProps/core.xml"], []byte("created")) {
		t.Error("properties kept")
	}
	// the photo inside lost its EXIF but is still the photo
	samePixels(t, buildJPEG(t, 1), files["word/media/image1.jpeg"])
	if bytes.Contains(files["word/media/image1.jpeg"], []byte("Exif")) {
		t.Error("photo inside the document keeps EXIF")
	}
}

func TestXLSXLosesProperties(t *testing.T) {
	r := mustClean(t, "统计表.xlsx", buildXLSX(t))
	files := readZip(t, r.Data)
	if bytes.Contains(files["docProps/core.xml"], []byte(secretAuthor)) || bytes.Contains(files["docProps/app.xml"], []byte(secretCompany)) {
		t.Fatal("properties kept")
	}
	if !bytes.Contains(files["xl/worksheets/sheet1.xml"], []byte(pageText)) {
		t.Fatal("the sheet was damaged")
	}
}

// TestOfficeSuiteOpensCleanedFiles converts the original and the cleaned
// documents to PDF with LibreOffice, when installed: a cleaned file must open
// wherever its original does. An original that does not convert (that part of
// the suite is not installed) is logged, not failed.
func TestOfficeSuiteOpensCleanedFiles(t *testing.T) {
	exe, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("soffice (LibreOffice) is needed for this test in CI")
		}
		t.Skip("soffice not installed: cleaned Office files were checked with archive/zip only")
	}
	if testing.Short() {
		t.Skip("LibreOffice conversion takes ~20 s")
	}
	dir := t.TempDir()
	docs := map[string][]byte{"orig-doc.docx": buildDOCX(t, nil), "orig-book.xlsx": buildXLSX(t)}
	for name, b := range docs {
		r, err := Clean(name, b)
		if err != nil {
			t.Fatal(err)
		}
		docs["clean"+strings.TrimPrefix(name, "orig")] = r.Data
	}
	args := []string{"-env:UserInstallation=file://" + filepath.Join(dir, "profile"), "--headless", "--convert-to", "pdf", "--outdir", dir}
	for name, b := range docs {
		os.WriteFile(filepath.Join(dir, name), b, 0o600)
		args = append(args, filepath.Join(dir, name))
	}
	out, _ := exec.Command(exe, args...).CombinedOutput()
	converted := 0
	for _, kind := range []string{"-doc", "-book"} {
		_, origErr := os.Stat(filepath.Join(dir, "orig"+kind+".pdf"))
		st, cleanErr := os.Stat(filepath.Join(dir, "clean"+kind+".pdf"))
		switch {
		case origErr != nil:
			t.Logf("LibreOffice here cannot open the original %s either (component not installed?)", kind)
		case cleanErr != nil || st.Size() == 0:
			t.Errorf("LibreOffice opens the original %s but not the cleaned one:\n%s", kind, out)
		default:
			converted++
		}
	}
	if converted == 0 {
		t.Logf("no document converted: %s", out)
	}
}

func TestOfficeRefusals(t *testing.T) {
	xlsxNamedDocx := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, n := range []string{"[Content_Types].xml", "xl/workbook.xml"} {
			w, _ := zw.Create(n)
			w.Write([]byte("<x/>"))
		}
		zw.Close()
		return buf.Bytes()
	}()
	cases := []struct {
		name, file string
		data       []byte
		key        string
	}{
		{"macros", "a.docx", buildDOCX(t, map[string]string{"word/vbaProject.bin": "\xd0\xcf\x11\xe0macro"}), "err.scrub.macro"},
		{"macro-enabled content type", "a.docx", buildDOCX(t, map[string]string{"[Content_Types].xml": `<Types><Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>`}), "err.scrub.macro"},
		{"plain document", "a.docx", buildDOCX(t, nil), ""},
		{"workbook named .docx", "a.docx", xlsxNamedDocx, "err.scrub.mismatch"},
		{"workbook as .xlsx", "a.xlsx", xlsxNamedDocx, ""},
		{"path traversal entry", "a.docx", buildDOCX(t, map[string]string{"../../evil.sh": "x"}), "err.scrub.damaged"},
		{"truncated", "a.docx", buildDOCX(t, nil)[:500], "err.scrub.damaged"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Clean(c.file, c.data)
			if c.key == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if e := apperr.As(err); e == nil || e.Key != c.key {
				t.Fatalf("err = %v, want %s", err, c.key)
			}
		})
	}
}

func TestZipBombIsRefused(t *testing.T) {
	defer func(n int, max int64) { maxZipEntries, maxZipUnpacked = n, max }(maxZipEntries, maxZipUnpacked)
	maxZipEntries, maxZipUnpacked = 50, 1<<20
	zeros := strings.Repeat("\x00", 2<<20) // 2 MB of zeros compress to ~2 KB
	bomb := buildDOCX(t, map[string]string{"word/big.bin": zeros})
	if _, err := Clean("a.docx", bomb); apperr.As(err) == nil || apperr.As(err).Key != "err.scrub.bomb" {
		t.Fatalf("bomb: %v", err)
	}
	// sizes in the central directory can lie: a bomb declaring 1 byte is
	// still refused, by its real size or by archive/zip noticing the lie
	lying := bytes.Clone(bomb)
	for i := 0; ; i++ {
		j := bytes.Index(lying[i:], []byte("PK\x01\x02"))
		if j < 0 {
			t.Fatal("central directory entry not found")
		}
		i += j
		nameLen := int(binary.LittleEndian.Uint16(lying[i+28:]))
		if string(lying[i+46:i+46+nameLen]) == "word/big.bin" {
			binary.LittleEndian.PutUint32(lying[i+24:], 1)
			break
		}
	}
	if _, err := Clean("a.docx", lying); apperr.As(err) == nil {
		t.Fatalf("lying bomb: %v", err)
	}
	many := map[string]string{}
	for i := 0; i < 60; i++ {
		many["word/p"+strconv.Itoa(i)+".xml"] = "<a/>"
	}
	if _, err := Clean("a.docx", buildDOCX(t, many)); apperr.As(err) == nil || apperr.As(err).Key != "err.scrub.bomb" {
		t.Fatalf("too many entries: %v", err)
	}
}

func TestOfficeCommentAuthorsAreRemoved(t *testing.T) {
	parts := map[string]string{
		"ppt/commentAuthors.xml": `<p:cmAuthorLst xmlns:p="p"><p:cmAuthor id="1" name="` + secretAuthor + `" initials="ZS" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>`,
		"ppt/authors.xml":        `<p188:authorLst xmlns:p188="x"><p188:author id="{1}" name="` + secretAuthor + `" initials="ZS" userId="` + secretMake + `" providerId="AD"/></p188:authorLst>`,
		"xl/comments1.xml":       `<comments xmlns="x"><authors><author>` + secretAuthor + `</author></authors><commentList/></comments>`,
		"xl/persons/person.xml":  `<personList xmlns="x"><person displayName="` + secretAuthor + `" id="{1}" userId="` + secretMake + `" providerId="AD"/></personList>`,
	}
	r := mustClean(t, "a.docx", buildDOCX(t, func() map[string]string {
		m := map[string]string{}
		for k, v := range parts {
			m[k] = v
		}
		return m
	}()))
	files := readZip(t, r.Data)
	for name := range parts {
		if bytes.Contains(files[name], []byte(secretAuthor)) || bytes.Contains(files[name], []byte(secretMake)) || bytes.Contains(files[name], []byte(`"ZS"`)) {
			t.Errorf("%s keeps a name: %s", name, files[name])
		}
	}
	if !bytes.Contains(files["word/comments.xml"], []byte("批注")) || !bytes.Contains(files["word/comments.xml"], []byte(`w:author=""`)) {
		t.Errorf("comment text lost or author kept: %s", files["word/comments.xml"])
	}
}
