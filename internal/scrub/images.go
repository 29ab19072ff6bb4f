package scrub

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// cleanJPEG drops every segment that can carry metadata — APP1 (EXIF, XMP),
// APP13 (IPTC, Photoshop), the other APPn and comments — and anything after
// the end-of-image marker. It keeps the JFIF header, an ICC colour profile and
// Adobe's colour-transform flag (needed to show CMYK photos right), and copies
// the image data untouched. The EXIF orientation alone is carried over in a
// minimal EXIF block, so a phone photo is not shown on its side.
func cleanJPEG(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, []byte{0xFF, 0xD8}) {
		return nil, errDamaged
	}
	out := make([]byte, 2, len(b))
	out[0], out[1] = 0xFF, 0xD8
	orientation := uint16(0)
	sawImage := false
	for i := 2; ; {
		if i >= len(b) || b[i] != 0xFF {
			return nil, errDamaged
		}
		for i < len(b) && b[i] == 0xFF { // fill bytes
			i++
		}
		if i >= len(b) {
			return nil, errDamaged
		}
		m := b[i]
		i++
		switch {
		case m == 0xD9: // end of image: anything after it is dropped
			if !sawImage {
				return nil, errDamaged
			}
			out = append(out, 0xFF, 0xD9)
			return withOrientation(out, orientation), nil
		case m >= 0xD0 && m <= 0xD7, m == 0x01: // markers without a length
			out = append(out, 0xFF, m)
			continue
		case m == 0x00 || m == 0xD8:
			return nil, errDamaged
		}
		if i+2 > len(b) {
			return nil, errDamaged
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return nil, errDamaged
		}
		seg := b[i+2 : i+n]
		if keepJPEGSegment(m, seg) {
			out = append(out, 0xFF, m)
			out = append(out, b[i:i+n]...)
		} else if m == 0xE1 && orientation == 0 {
			orientation = exifOrientation(seg)
		}
		i += n
		if m == 0xDA { // start of scan: entropy-coded data runs to the next marker
			sawImage = true
			j := i
			for ; ; j++ {
				if j+1 >= len(b) {
					return nil, errDamaged
				}
				if b[j] == 0xFF && b[j+1] != 0x00 && (b[j+1] < 0xD0 || b[j+1] > 0xD7) {
					break
				}
			}
			out = append(out, b[i:j]...)
			i = j
		}
	}
}

func keepJPEGSegment(m byte, seg []byte) bool {
	switch {
	case m == 0xE0:
		return bytes.HasPrefix(seg, []byte("JFIF\x00")) // not JFXX thumbnails
	case m == 0xE2:
		return bytes.HasPrefix(seg, []byte("ICC_PROFILE\x00"))
	case m == 0xEE:
		return bytes.HasPrefix(seg, []byte("Adobe")) && len(seg) <= 12 // transform flag only
	case m >= 0xE1 && m <= 0xEF, m == 0xFE:
		return false
	}
	return true
}

// exifOrientation reads the Orientation tag (0x0112) from IFD0 of an EXIF
// APP1 segment, or 0.
func exifOrientation(seg []byte) uint16 {
	if !bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
		return 0
	}
	t := seg[6:]
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	count := int(bo.Uint16(t[off:]))
	for k := 0; k < count; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 {
			if v := bo.Uint16(t[e+8:]); v >= 1 && v <= 8 {
				return v
			}
			return 0
		}
	}
	return 0
}

// withOrientation inserts a minimal EXIF segment holding only the
// orientation (when it is not the default), after SOI and a JFIF header.
func withOrientation(jpg []byte, o uint16) []byte {
	if o <= 1 {
		return jpg
	}
	app1 := []byte{0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
		'M', 'M', 0, 42, 0, 0, 0, 8, // TIFF header, IFD0 at 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(o >> 8), byte(o), 0, 0, // Orientation, SHORT, 1
		0, 0, 0, 0} // no next IFD
	at := 2
	if len(jpg) > 6 && jpg[2] == 0xFF && jpg[3] == 0xE0 {
		at = 4 + int(binary.BigEndian.Uint16(jpg[4:]))
	}
	out := make([]byte, 0, len(jpg)+len(app1))
	out = append(out, jpg[:at]...)
	out = append(out, app1...)
	return append(out, jpg[at:]...)
}

// pngKeep lists the chunks a cleaned PNG keeps: the image itself and how to
// show it. Text, EXIF, time stamps and every private or unknown ancillary
// chunk (where tools hide their metadata) are dropped.
var pngKeep = setOf("IHDR", "PLTE", "IDAT", "IEND", "tRNS", "cHRM", "gAMA", "iCCP", "sBIT", "sRGB", "cICP",
	"mDCV", "cLLI", "bKGD", "hIST", "pHYs", "sPLT", "acTL", "fcTL", "fdAT")

// cleanPNG copies the kept chunks with their (verified) CRCs and stops at IEND.
func cleanPNG(b []byte) ([]byte, error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(b, []byte(sig)) {
		return nil, errDamaged
	}
	out := make([]byte, 0, len(b))
	out = append(out, sig...)
	for i, first := len(sig), true; ; first = false {
		if i+12 > len(b) {
			return nil, errDamaged
		}
		n := int(binary.BigEndian.Uint32(b[i:]))
		if n < 0 || n > len(b)-i-12 {
			return nil, errDamaged
		}
		typ := string(b[i+4 : i+8])
		end := i + 12 + n
		if crc32.ChecksumIEEE(b[i+4:end-4]) != binary.BigEndian.Uint32(b[end-4:]) {
			return nil, errDamaged
		}
		if first && typ != "IHDR" {
			return nil, errDamaged
		}
		for _, c := range []byte(typ) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return nil, errDamaged
			}
		}
		critical := typ[0] >= 'A' && typ[0] <= 'Z'
		switch {
		case pngKeep[typ]:
			out = append(out, b[i:end]...)
		case critical: // a chunk needed to show the image that we do not know
			return nil, errDamaged
		}
		i = end
		if typ == "IEND" {
			return out, nil
		}
	}
}

// cleanGIF drops comment extensions and application extensions other than
// the looping instruction of animations (NETSCAPE2.0 / ANIMEXTS1.0), which is
// where XMP and editor data live, and anything after the trailer.
func cleanGIF(b []byte) ([]byte, error) {
	if len(b) < 13 || !(bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))) {
		return nil, errDamaged
	}
	i := 13
	if b[10]&0x80 != 0 { // global colour table
		i += 3 << (int(b[10]&7) + 1)
	}
	if i > len(b) {
		return nil, errDamaged
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:i]...)
	// subBlocks returns the end of the data sub-blocks starting at j.
	subBlocks := func(j int) (int, bool) {
		for j < len(b) {
			n := int(b[j])
			j += 1 + n
			if n == 0 {
				return j, j <= len(b)
			}
		}
		return 0, false
	}
	for {
		if i >= len(b) {
			return nil, errDamaged
		}
		switch b[i] {
		case 0x3B: // trailer
			return append(out, 0x3B), nil
		case 0x21: // extension
			if i+2 > len(b) {
				return nil, errDamaged
			}
			label := b[i+1]
			end, ok := subBlocks(i + 2)
			if !ok {
				return nil, errDamaged
			}
			keep := label == 0xF9 || label == 0x01 // graphic control, plain text
			if label == 0xFF && i+14 <= len(b) && b[i+2] == 11 {
				id := string(b[i+3 : i+14])
				keep = id == "NETSCAPE2.0" || id == "ANIMEXTS1.0"
			}
			if keep {
				out = append(out, b[i:end]...)
			}
			i = end
		case 0x2C: // image descriptor, optional local colour table, LZW data
			j := i + 10
			if j > len(b) {
				return nil, errDamaged
			}
			if b[i+9]&0x80 != 0 {
				j += 3 << (int(b[i+9]&7) + 1)
			}
			j++ // LZW minimum code size
			end, ok := subBlocks(j)
			if !ok || j > len(b) {
				return nil, errDamaged
			}
			out = append(out, b[i:end]...)
			i = end
		default:
			return nil, errDamaged
		}
	}
}

// webpKeep lists the RIFF chunks a cleaned WebP keeps; EXIF, XMP and unknown
// chunks are dropped.
var webpKeep = setOf("VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF", "ICCP")

// cleanWebP drops the EXIF and XMP chunks, clears their flags in the VP8X
// header and writes the new RIFF size.
func cleanWebP(b []byte) ([]byte, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return nil, errDamaged
	}
	size := int(binary.LittleEndian.Uint32(b[4:]))
	if size < 4 || size > len(b)-8 {
		return nil, errDamaged
	}
	b = b[:8+size] // bytes after the RIFF container are dropped
	out := make([]byte, 12, len(b))
	copy(out, b[:12])
	image := false
	for i := 12; i < len(b); {
		if i+8 > len(b) {
			return nil, errDamaged
		}
		fourcc := string(b[i : i+4])
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		end := i + 8 + n + n&1
		if n < 0 || i+8+n > len(b) {
			return nil, errDamaged
		}
		if end > len(b) { // the pad byte of the last chunk may be missing
			end = len(b)
		}
		if webpKeep[fourcc] {
			at := len(out)
			out = append(out, b[i:i+8+n]...)
			if n&1 == 1 {
				out = append(out, 0)
			}
			if fourcc == "VP8X" {
				if n < 10 {
					return nil, errDamaged
				}
				out[at+8] &^= 0x08 | 0x04 // EXIF and XMP present flags
			}
			image = image || fourcc == "VP8 " || fourcc == "VP8L" || fourcc == "ANMF"
		}
		i = end
	}
	if !image {
		return nil, errDamaged
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, nil
}
