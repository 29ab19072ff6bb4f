package scrub

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"image"
	_ "image/gif" // DecodeConfig reads the headers only
	_ "image/jpeg"
	_ "image/png"
	"io"

	"github.com/luoshi/luoshi/internal/apperr"
)

// Limits against decompression bombs in images: a photo of 100,000 ×
// 100,000 pixels is a few bytes on the wire and 30 GB in a viewer. The
// largest phone cameras take 200-megapixel pictures in a special mode; the
// usual ones 12 to 50.
const (
	maxImageSide   = 30000
	maxImagePixels = 250_000_000
)

// hostile refuses what a cleaner would pass on because it is well formed:
// images that decode into gigabytes, and polyglots — an image or a PDF that
// is at the same time a zip archive or a web page, which another program (an
// unpacker, a browser that sniffs) would read as such.
func hostile(k *kind, b []byte) error {
	switch k {
	case kindPNG, kindJPEG, kindGIF, kindWebP:
		if w, h, ok := imageSize(k, b); ok && (w > maxImageSide || h > maxImageSide || int64(w)*int64(h) > maxImagePixels) {
			return refusal("err.scrub.pixels")
		}
		if embedsZip(b) || embedsMarkup(b) {
			return refusal("err.scrub.polyglot")
		}
	case kindPDF:
		if embedsZip(b) || embedsMarkup(b) {
			return refusal("err.scrub.polyglot")
		}
	}
	return nil
}

// imageSize reads the declared size of an image from its header.
func imageSize(k *kind, b []byte) (w, h int, ok bool) {
	switch k {
	case kindWebP:
		return webpSize(b)
	case kindPNG: // read directly: a viewer may not check the header's CRC
		if len(b) >= 24 && string(b[12:16]) == "IHDR" {
			return int(binary.BigEndian.Uint32(b[16:])), int(binary.BigEndian.Uint32(b[20:])), true
		}
		return 0, 0, false
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return 0, 0, false
	}
	return cfg.Width, cfg.Height, true
}

// webpSize reads the canvas of an extended WebP, or the frame of a simple
// lossy or lossless one.
func webpSize(b []byte) (w, h int, ok bool) {
	if len(b) < 30 {
		return 0, 0, false
	}
	u24 := func(p []byte) int { return int(p[0]) | int(p[1])<<8 | int(p[2])<<16 }
	switch string(b[12:16]) {
	case "VP8X":
		return u24(b[24:]) + 1, u24(b[27:]) + 1, true
	case "VP8 ":
		return int(binary.LittleEndian.Uint16(b[26:]) & 0x3fff), int(binary.LittleEndian.Uint16(b[28:]) & 0x3fff), true
	case "VP8L":
		v := binary.LittleEndian.Uint32(b[21:])
		return int(v&0x3fff) + 1, int(v>>14&0x3fff) + 1, true
	}
	return 0, 0, false
}

// embedsZip: a zip archive is read from its end (the end-of-central-directory
// record in the last 64 KiB) and needs a central directory entry; both
// signatures together in a photo or a PDF do not happen by chance.
func embedsZip(b []byte) bool {
	tail := b[max(0, len(b)-(65535+22)):]
	return bytes.Contains(tail, []byte("PK\x05\x06")) && bytes.Contains(b, []byte("PK\x01\x02"))
}

// markupTags are what makes a browser that sniffs treat bytes as a page.
var markupTags = [][]byte{[]byte("<script"), []byte("<html"), []byte("<!doctype html"), []byte("<iframe"), []byte("<svg"),
	[]byte("<object"), []byte("<embed"), []byte("javascript:")}

func embedsMarkup(b []byte) bool {
	lower := bytes.ToLower(b)
	for _, t := range markupTags {
		if bytes.Contains(lower, t) {
			return true
		}
	}
	return false
}

// checkZip refuses a zip container that unpacks into too many entries or too
// many bytes, counting what really comes out (declared sizes can lie).
func checkZip(b []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return errDamaged
	}
	if len(zr.File) > maxZipEntries {
		return refusal("err.scrub.bomb")
	}
	budget := maxZipUnpacked
	for _, f := range zr.File {
		if f.UncompressedSize64 > uint64(budget) {
			return refusal("err.scrub.bomb")
		}
		// a folder too: its mode bits are the archive's word, and an
		// entry marked as a folder can carry bytes an unpacker writes out
		rc, err := f.Open()
		if err != nil {
			return errDamaged
		}
		n, err := io.Copy(io.Discard, io.LimitReader(rc, budget+1))
		rc.Close()
		if n > budget {
			return refusal("err.scrub.bomb")
		}
		if err != nil {
			return errDamaged
		}
		budget -= n
	}
	return nil
}

// Inspect checks a file that is kept as uploaded (staff evidence in the
// ledger, where the metadata is part of the record) for what would hurt the
// server, a colleague's computer or a browser: programs and web pages
// whatever their name, images that decode into gigabytes, polyglots, and
// zip bombs. The content type and the name are checked by the caller
// (internal/attach). Every refusal is an *apperr.Error on the field "file".
func Inspect(name string, data []byte) error {
	named := func(err error) error {
		if e := apperr.As(err); e != nil {
			return apperr.Invalidf("file", e.Key, name)
		}
		return apperr.Invalidf("file", "err.scrub.damaged", name)
	}
	switch sniffDanger(data) {
	case dangerExecutable:
		return apperr.Invalidf("file", "err.scrub.executable", name)
	case dangerActive:
		return apperr.Invalidf("file", "err.scrub.active", name)
	}
	if err := hostile(sniffKind(data), data); err != nil {
		return named(err)
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		if err := checkZip(data); err != nil {
			return named(err)
		}
	}
	return nil
}
