package scrub

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/i18n"
)

func TestCleanName(t *testing.T) {
	long := strings.Repeat("举报材料", 40) + ".pdf"
	cases := []struct{ in, want string }{
		{"../../x", "x"},
		{`..\..\windows\evil.jpg`, "evil.jpg"},
		{"/etc/passwd", "passwd"},
		{"举报材料(第二版).docx", "举报材料(第二版).docx"},
		{"photo\u202Egpj.exe", "photogpj.exe"}, // right-to-left override removed
		{"a\x00b\r\nc.txt", "abc.txt"},
		{".htaccess", "htaccess"},
		{"...", ""},
		{"dir/", ""},
		{"  name.pdf. . ", "name.pdf"},
		{`what?<b>:"x"|*.png`, "what__b___x___.png"},
		{"zero\u200bwidth.png", "zerowidth.png"},
		{"tab\tname.txt", "tabname.txt"},
		{"bad\xffutf8.txt", "badutf8.txt"},
	}
	for _, c := range cases {
		if got := CleanName(c.in); got != c.want {
			t.Errorf("CleanName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	got := CleanName(long)
	if utf8.RuneCountInString(got) != maxNameRunes || !strings.HasSuffix(got, ".pdf") || !strings.HasPrefix(got, "举报材料") {
		t.Errorf("long name → %q (%d runes)", got, utf8.RuneCountInString(got))
	}
}

func TestCleanPolicesTypes(t *testing.T) {
	jpg := buildJPEG(t, 1)
	pngData := buildPNG(t)
	gbk := []byte{0xC4, 0xE3, 0xBA, 0xC3, 0xA3, 0xAC, 0xCA, 0xC0, 0xBD, 0xE7} // 你好,世界 in GBK
	cases := []struct {
		name     string
		file     string
		data     []byte
		key      string // "" = accepted
		wantName string
		wantMIME string
	}{
		{"a JPEG", "现场照片.jpg", jpg, "", "现场照片.jpg", "image/jpeg"},
		{"a JPEG as .jpeg, upper case", "P1.JPEG", jpg, "", "P1.JPEG", "image/jpeg"},
		{"traversal name, type from content", "../../x", jpg, "", "x.jpg", "image/jpeg"},
		{"no extension, text", "readme", []byte("情况说明\n"), "", "readme.txt", "text/plain; charset=utf-8"},
		{"plain text stays", "说明.txt", []byte("某某村 2026 年 11 月的情况。\n"), "", "说明.txt", "text/plain; charset=utf-8"},
		{"nothing left of the name", "../..", jpg, "err.scrub.name", "", ""},
		{"empty", "a.jpg", nil, "err.scrub.empty", "", ""},
		{"a JPEG that is really HTML", "photo.jpg", []byte("<!DOCTYPE html><html><body><script>alert(1)</script>"), "err.scrub.active", "", ""},
		{"HTML named .txt", "a.txt", []byte("  <html><body>hi"), "err.scrub.active", "", ""},
		{"HTML after some text", "a.txt", []byte("hello\n\n<ScRiPt>alert(1)</script>"), "err.scrub.active", "", ""},
		{"SVG without script", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>`), "err.scrub.active", "", ""},
		{"SVG named .png", "logo.png", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "err.scrub.active", "", ""},
		{"XML", "data.xml", []byte("<?xml version=\"1.0\"?><a/>"), "err.scrub.active", "", ""},
		{"HTML by extension", "page.html", []byte("just text"), "err.scrub.active", "", ""},
		{"ELF named .jpg", "a.jpg", []byte("\x7fELF\x02\x01\x01\x00rest"), "err.scrub.executable", "", ""},
		{"Windows program named .pdf", "a.pdf", append([]byte("MZ\x90\x00"), make([]byte, 100)...), "err.scrub.executable", "", ""},
		{"Mach-O", "a.png", []byte{0xCF, 0xFA, 0xED, 0xFE, 7, 0, 0, 1}, "err.scrub.executable", "", ""},
		{"shell script named .txt", "a.txt", []byte("#!/bin/sh\nrm -rf /\n"), "err.scrub.executable", "", ""},
		{"batch file", "run.bat", []byte("echo hi"), "err.scrub.executable", "", ""},
		{"JavaScript", "a.js", []byte("alert(1)"), "err.scrub.executable", "", ""},
		{"VBScript", "a.vbs", []byte("MsgBox 1"), "err.scrub.executable", "", ""},
		{"Java archive", "a.jar", []byte("PK\x03\x04rest"), "err.scrub.executable", "", ""},
		{"Android package", "a.apk", []byte("PK\x03\x04rest"), "err.scrub.executable", "", ""},
		{"macro document by name", "a.docm", []byte("PK\x03\x04rest"), "err.scrub.executable", "", ""},
		{"PNG named .jpg", "a.jpg", pngData, "err.scrub.mismatch", "", ""},
		{"text named .pdf", "a.pdf", []byte("not a pdf"), "err.scrub.mismatch", "", ""},
		{"JPEG named .txt", "a.txt", jpg, "err.scrub.mismatch", "", ""},
		{"zip named .zip", "a.zip", []byte("PK\x03\x04rest"), "err.scrub.type", "", ""},
		{"legacy Word", "a.doc", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}, "err.scrub.type", "", ""},
		{"binary without extension", "blob", []byte{0, 1, 2, 3, 0xFF}, "err.scrub.type", "", ""},
		{"GBK text", "a.txt", gbk, "err.scrub.text", "", ""},
		{"damaged JPEG", "a.jpg", jpg[:len(jpg)/2], "err.scrub.damaged", "", ""},
		{"damaged PNG", "a.png", pngData[:40], "err.scrub.damaged", "", ""},
		{"damaged GIF", "a.gif", []byte("GIF89a\x01\x00"), "err.scrub.damaged", "", ""},
		{"damaged WebP", "a.webp", []byte("RIFF\xff\x00\x00\x00WEBPVP8L"), "err.scrub.damaged", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Clean(c.file, c.data)
			if c.key == "" {
				if err != nil {
					t.Fatal(err)
				}
				if r.Name != c.wantName || r.MIME != c.wantMIME {
					t.Fatalf("got %q %q, want %q %q", r.Name, r.MIME, c.wantName, c.wantMIME)
				}
				return
			}
			e := apperr.As(err)
			if e == nil || e.Key != c.key || e.Field != "file" || e.Kind != apperr.Invalid {
				t.Fatalf("err = %v, want %s", err, c.key)
			}
			if r.Data != nil {
				t.Fatal("a refused file returned data")
			}
			// the message is a complete sentence in both languages, naming the file
			for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
				msg := i18n.T(lang, e.Key, e.Args...)
				if msg == e.Key || strings.Contains(msg, "%!") {
					t.Fatalf("%s message %q", lang, msg)
				}
				if c.key != "err.scrub.name" && !strings.Contains(msg, CleanName(c.file)) {
					t.Fatalf("%s message %q does not name the file", lang, msg)
				}
			}
		})
	}
}
