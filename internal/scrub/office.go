package scrub

import (
	"archive/zip"
	"bytes"
	"io"
	"path"
	"regexp"
	"strings"
	"time"
)

// Limits against zip bombs: an upload of a few MB may not unpack into more.
// Variables so tests can lower them.
var (
	maxZipEntries        = 2000
	maxZipUnpacked int64 = 200 << 20
)

// emptyCore and emptyApp replace the document properties: author, last
// editor, company, manager, template path, dates, revision, editing time.
const (
	emptyCore = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
		`xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" ` +
		`xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></cp:coreProperties>`
	emptyApp = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" ` +
		`xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"></Properties>`
)

var (
	// parts dropped with the references to them: custom properties, and the
	// thumbnail (a picture of the first page, with its own metadata)
	officeDropped = regexp.MustCompile(`^docProps/(?:custom\.xml|thumbnail\.[A-Za-z]+)$`)
	officeRels    = regexp.MustCompile(`<Relationship\b[^>]*Target="/?docProps/(?:custom\.xml|thumbnail\.[A-Za-z]+)"[^>]*/>`)
	officeTypes   = regexp.MustCompile(`<Override\b[^>]*PartName="/docProps/(?:custom\.xml|thumbnail\.[A-Za-z]+)"[^>]*/>`)
	// who wrote comments and tracked changes: Word (w:author, w15:person with
	// its account), PowerPoint (comment authors), Excel (comment authors,
	// threaded-comment persons)
	officePeopleAttr = regexp.MustCompile(`(\s(?:[A-Za-z0-9]+:)?(?:author|initials|userId|providerId|displayName))="[^"]*"`)
	officeAuthorName = regexp.MustCompile(`(<[A-Za-z0-9]+:(?:cmAuthor|author)\b[^>]*?\sname)="[^"]*"`)
	officeAuthorText = regexp.MustCompile(`<author>[^<]*</author>`)
	officeMedia      = regexp.MustCompile(`^(?:word|xl|ppt)/media/[^/]+\.(?i:jpe?g|png)$`)
	// entry times are metadata too (when and in which time zone it was edited)
	zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
)

// cleanOffice checks an OOXML package whose main part is mainPart (which tells
// a .docx from an .xlsx or .pptx), refuses macros and bombs, and writes it
// anew with empty document properties, no custom properties or thumbnail,
// no names of comment or revision authors, photos inside it cleaned like
// uploaded photos, and fixed entry times.
func cleanOffice(mainPart string) func([]byte) ([]byte, error) {
	return func(b []byte) ([]byte, error) {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return nil, errDamaged
		}
		if len(zr.File) > maxZipEntries {
			return nil, refusal("err.scrub.bomb")
		}
		seen := map[string]bool{}
		hasMain, hasTypes := false, false
		var declared uint64
		for _, f := range zr.File {
			lower := strings.ToLower(f.Name)
			if seen[lower] || f.Name == "" || strings.HasPrefix(f.Name, "/") || strings.Contains(f.Name, "\\") ||
				strings.Contains("/"+f.Name+"/", "/../") || f.Flags&1 != 0 { // encrypted entries
				return nil, errDamaged
			}
			seen[lower] = true
			// a folder is a name ending in "/"; mode bits saying "folder" on
			// any other name would hide a part from the checks below
			if f.FileInfo().IsDir() && !strings.HasSuffix(f.Name, "/") {
				return nil, errDamaged
			}
			if strings.HasSuffix(lower, "vbaproject.bin") || strings.HasSuffix(lower, "vbadata.xml") ||
				strings.Contains(lower, "/activex/") {
				return nil, refusal("err.scrub.macro")
			}
			hasMain = hasMain || f.Name == mainPart
			hasTypes = hasTypes || f.Name == "[Content_Types].xml"
			declared += f.UncompressedSize64
		}
		if declared > uint64(maxZipUnpacked) {
			return nil, refusal("err.scrub.bomb")
		}
		if !hasTypes {
			return nil, errDamaged
		}
		if !hasMain { // an OOXML file of another kind, or some other zip
			return nil, refusal("err.scrub.mismatch")
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		budget := maxZipUnpacked
		for _, f := range zr.File {
			if strings.HasSuffix(f.Name, "/") || officeDropped.MatchString(f.Name) {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				return nil, errDamaged
			}
			// declared sizes can lie: count what really comes out
			data, err := io.ReadAll(io.LimitReader(rc, budget+1))
			rc.Close()
			if int64(len(data)) > budget {
				return nil, refusal("err.scrub.bomb")
			}
			if err != nil {
				return nil, errDamaged
			}
			budget -= int64(len(data))
			switch {
			case f.Name == "docProps/core.xml":
				data = []byte(emptyCore)
			case f.Name == "docProps/app.xml":
				data = []byte(emptyApp)
			case f.Name == "_rels/.rels":
				data = officeRels.ReplaceAll(data, nil)
			case f.Name == "[Content_Types].xml":
				if bytes.Contains(bytes.ToLower(data), []byte("macroenabled")) || bytes.Contains(bytes.ToLower(data), []byte("vbaproject")) {
					return nil, refusal("err.scrub.macro")
				}
				data = officeTypes.ReplaceAll(data, nil)
			case strings.HasSuffix(f.Name, ".xml"):
				data = officePeopleAttr.ReplaceAll(data, []byte(`$1=""`))
				data = officeAuthorName.ReplaceAll(data, []byte(`$1=""`))
				data = officeAuthorText.ReplaceAll(data, []byte(`<author></author>`))
			case officeMedia.MatchString(f.Name):
				clean := cleanPNG
				if ext := strings.ToLower(path.Ext(f.Name)); ext == ".jpg" || ext == ".jpeg" {
					clean = cleanJPEG
				}
				if data, err = clean(data); err != nil {
					return nil, err
				}
			}
			w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: zipTime})
			if err != nil {
				return nil, err
			}
			if _, err := w.Write(data); err != nil {
				return nil, err
			}
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
}
