// Package scrub polices files uploaded by the public before they are stored:
// the type is decided by the content (an extension proves nothing), programs
// and active content are refused, and metadata that could identify a reporter
// is removed — EXIF/XMP/GPS in photos, author and producer in PDFs, document
// properties in Office files.
//
// Metadata is removed by rewriting the container, never the payload: image
// data, PDF objects and document parts stay byte for byte what they were, so
// the file still opens exactly as before. A file we cannot parse with
// certainty is refused rather than stored with its metadata.
package scrub

import (
	"bytes"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
)

// Result is a cleaned file: a safe name, the content type to serve it with,
// and the bytes without their metadata.
type Result struct {
	Name string
	MIME string
	Data []byte
}

// kind is a file type we accept.
type kind struct {
	mime  string
	ext   string // canonical extension, added to a name without one
	clean func(data []byte) ([]byte, error)
}

var (
	kindJPEG = &kind{"image/jpeg", ".jpg", cleanJPEG}
	kindPNG  = &kind{"image/png", ".png", cleanPNG}
	kindGIF  = &kind{"image/gif", ".gif", cleanGIF}
	kindWebP = &kind{"image/webp", ".webp", cleanWebP}
	kindPDF  = &kind{"application/pdf", ".pdf", cleanPDF}
	kindDOCX = &kind{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", cleanOffice("word/document.xml")}
	kindXLSX = &kind{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", cleanOffice("xl/workbook.xml")}
	kindPPTX = &kind{"application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx", cleanOffice("ppt/presentation.xml")}
	kindText = &kind{"text/plain; charset=utf-8", ".txt", func(b []byte) ([]byte, error) { return b, nil }}
)

// byExt maps each accepted extension to its kind.
var byExt = map[string]*kind{
	".jpg": kindJPEG, ".jpeg": kindJPEG, ".png": kindPNG, ".gif": kindGIF, ".webp": kindWebP,
	".pdf": kindPDF, ".docx": kindDOCX, ".xlsx": kindXLSX, ".pptx": kindPPTX, ".txt": kindText,
}

// Accepted lists the accepted extensions, for messages and the file picker.
const Accepted = ".jpg,.jpeg,.png,.gif,.webp,.pdf,.docx,.xlsx,.pptx,.txt"

// Extensions refused with a message that says why: programs and scripts, and
// documents that run code in a browser or viewer.
var (
	executableExt = setOf(".exe", ".dll", ".com", ".scr", ".msi", ".msp", ".bat", ".cmd", ".ps1", ".psm1", ".vbs", ".vbe",
		".js", ".mjs", ".cjs", ".jse", ".wsf", ".wsh", ".hta", ".cpl", ".lnk", ".reg", ".jar", ".class", ".apk", ".xapk",
		".dex", ".ipa", ".app", ".dmg", ".pkg", ".deb", ".rpm", ".sh", ".bash", ".zsh", ".py", ".pyc", ".pl", ".rb",
		".php", ".elf", ".bin", ".so", ".dylib", ".docm", ".dotm", ".xlsm", ".xltm", ".xlam", ".pptm", ".potm", ".ppam")
	activeExt = setOf(".html", ".htm", ".xhtml", ".shtml", ".mht", ".mhtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt", ".swf")
)

func setOf(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

// Clean checks an uploaded file and returns it without its metadata. Every
// refusal is an *apperr.Error on the field "file" naming the file.
func Clean(name string, data []byte) (Result, error) {
	name = CleanName(name)
	if name == "" {
		return Result{}, apperr.Invalidf("file", "err.scrub.name")
	}
	if len(data) == 0 {
		return Result{}, apperr.Invalidf("file", "err.scrub.empty", name)
	}
	ext := strings.ToLower(path.Ext(name))
	// the content speaks first: a program or a web page is refused whatever
	// its name says
	switch sniffDanger(data) {
	case dangerExecutable:
		return Result{}, apperr.Invalidf("file", "err.scrub.executable", name)
	case dangerActive:
		return Result{}, apperr.Invalidf("file", "err.scrub.active", name)
	}
	if executableExt[ext] {
		return Result{}, apperr.Invalidf("file", "err.scrub.executable", name)
	}
	if activeExt[ext] {
		return Result{}, apperr.Invalidf("file", "err.scrub.active", name)
	}
	content := sniffKind(data)
	want, known := byExt[ext]
	switch {
	case ext == "" && content != nil:
		// a name without extension gets the content's, within the length
		// limit (a 77-character name became 81, found by FuzzClean)
		name = CleanName(name + content.ext)
		want = content
	case !known:
		return Result{}, apperr.Invalidf("file", "err.scrub.type", name, Accepted)
	case want == kindText && content == nil:
		return Result{}, apperr.Invalidf("file", "err.scrub.text", name)
	case content != want && !(content == kindDOCX && (want == kindXLSX || want == kindPPTX)):
		return Result{}, apperr.Invalidf("file", "err.scrub.mismatch", name)
	}
	err := hostile(want, data)
	var out []byte
	if err == nil {
		out, err = want.clean(data)
	}
	if err != nil {
		if e := apperr.As(err); e != nil {
			return Result{}, apperr.Invalidf("file", e.Key, name)
		}
		return Result{}, apperr.Invalidf("file", "err.scrub.damaged", name)
	}
	return Result{Name: name, MIME: want.mime, Data: out}, nil
}

// refusal builds the error a cleaner returns for a file it refuses; Clean
// fills in the file name.
func refusal(key string) error { return apperr.Invalidf("file", key) }

// errDamaged is a cleaner's answer to bytes it cannot parse with certainty.
var errDamaged = refusal("err.scrub.damaged")

type danger int

const (
	dangerNone danger = iota
	dangerExecutable
	dangerActive
)

// sniffDanger recognises programs and active content by their first bytes.
func sniffDanger(b []byte) danger {
	execMagic := [][]byte{
		[]byte("\x7fELF"), []byte("MZ"), // Linux, Windows (PE) and DOS
		{0xFE, 0xED, 0xFA, 0xCE}, {0xFE, 0xED, 0xFA, 0xCF}, {0xCE, 0xFA, 0xED, 0xFE}, {0xCF, 0xFA, 0xED, 0xFE}, // Mach-O
		{0xCA, 0xFE, 0xBA, 0xBE}, // Mach-O universal binary, Java class
		[]byte("dex\n"),          // Android
		[]byte("#!"),             // scripts
		[]byte("\x00asm"),        // WebAssembly
	}
	for _, m := range execMagic {
		if bytes.HasPrefix(b, m) {
			return dangerExecutable
		}
	}
	head := b[:min(len(b), 512)]
	switch ct := http.DetectContentType(head); {
	case strings.HasPrefix(ct, "text/html"), strings.HasPrefix(ct, "text/xml"), strings.HasPrefix(ct, "image/svg"):
		return dangerActive
	}
	// what browsers and viewers may treat as markup, even after leading text
	lower := bytes.ToLower(b[:min(len(b), 4096)])
	for _, tag := range []string{"<svg", "<script", "<html", "<!doctype html", "<?xml", "<iframe", "<object", "<embed"} {
		if bytes.Contains(lower, []byte(tag)) && !isBinaryContainer(b) {
			return dangerActive
		}
	}
	return dangerNone
}

// isBinaryContainer: formats whose first KiB may contain markup-like bytes by
// chance or by design (XMP in images, XML in PDFs) and that we parse fully.
func isBinaryContainer(b []byte) bool {
	k := sniffKind(b)
	return k != nil && k != kindText
}

// sniffKind decides the type from the content alone (nil: none we accept).
func sniffKind(b []byte) *kind {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return kindJPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return kindPNG
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return kindGIF
	case len(b) >= 12 && bytes.HasPrefix(b, []byte("RIFF")) && string(b[8:12]) == "WEBP":
		return kindWebP
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return kindPDF
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return kindDOCX // any OOXML package; Clean checks the main part per extension
	case utf8.Valid(b) && !bytes.ContainsRune(b, 0):
		return kindText
	}
	return nil
}

const maxNameRunes = 80

// CleanName reduces an uploaded file name to something safe to show and to
// put in a Content-Disposition header: the last path element, without
// control or invisible formatting characters (such as the right-to-left
// override that disguises "exe"), without leading dots, at most 80
// characters with the extension kept. Chinese names stay as they are. It
// returns "" when nothing usable is left.
func CleanName(name string) string {
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "")
	}
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
			return -1
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ") // Windows drops trailing dots and spaces
	if utf8.RuneCountInString(name) > maxNameRunes {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 10 {
			ext = ""
		}
		stem := []rune(strings.TrimSuffix(name, ext))
		name = strings.TrimRight(string(stem[:maxNameRunes-utf8.RuneCountInString(ext)]), ". ") + ext
	}
	return name
}
