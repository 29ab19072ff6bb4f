package scrub

import (
	"bytes"
	"compress/zlib"
	"hash/adler32"
	"io"
	"regexp"
	"strconv"
)

// PDF cleaning works on the file's bytes in place, never by rewriting it:
// every change overwrites a value with the same number of bytes (spaces in a
// string, a stored-deflate stream of spaces for compressed XMP), so the
// cross-reference offsets stay valid and the file opens as before.

// maxPDFInflate caps the bytes inflated while inspecting object streams.
const maxPDFInflate = 64 << 20

var (
	pdfActive = regexp.MustCompile(`/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)(?:[\x00\t\n\f\r ()<>\[\]{}/%]|$)`)
	pdfInfo   = regexp.MustCompile(`/Info\s*(\d+)\s+(\d+)\s+R`)
	pdfLength = regexp.MustCompile(`/Length\s*(\d+)(?:\s+(\d+)\s+R)?`)
	pdfFilter = regexp.MustCompile(`/Filter\s*(\[\s*)?/([A-Za-z0-9]+)`)
	pdfObjStm = regexp.MustCompile(`/Type\s*/ObjStm\b`)
	pdfMeta   = regexp.MustCompile(`/Type\s*/Metadata\b`)
	pdfHexEsc = regexp.MustCompile(`#[0-9A-Fa-f]{2}`)
	pdfCrypt  = regexp.MustCompile(`/Encrypt\b`)
)

// objIndex maps "num gen" to the offsets just after each "num gen obj"
// header in the file (an updated file may define an object more than once).
// Built once, so resolving references stays linear in the file size.
type objIndex map[string][]int

func indexObjects(b []byte) objIndex {
	idx := objIndex{}
	// find each "obj" keyword and read "num gen" backwards from it: a plain
	// scan, many times faster than a regular expression over the whole file
	for from := 0; ; {
		i := bytes.Index(b[from:], []byte("obj"))
		if i < 0 {
			return idx
		}
		i += from
		from = i + 3
		if from < len(b) && !isPDFDelim(b[from]) {
			continue // "object", "objStm"
		}
		j := i
		gen, j := digitsBefore(b, skipSpaceBefore(b, j))
		if gen == nil {
			continue
		}
		num, j := digitsBefore(b, skipSpaceBefore(b, j))
		if num == nil || (j > 0 && !isPDFSpace(b[j-1]) && !isPDFDelim(b[j-1])) {
			continue
		}
		key := refKey(num, gen)
		idx[key] = append(idx[key], from)
	}
}

// skipSpaceBefore returns the offset after the last non-space byte before
// end, requiring at least one space.
func skipSpaceBefore(b []byte, end int) int {
	j := end
	for j > 0 && isPDFSpace(b[j-1]) {
		j--
	}
	if j == end {
		return -1
	}
	return j
}

// digitsBefore returns the digits that end at end, and where they start.
func digitsBefore(b []byte, end int) ([]byte, int) {
	if end <= 0 {
		return nil, 0
	}
	j := end
	for j > 0 && end-j < 10 && b[j-1] >= '0' && b[j-1] <= '9' {
		j--
	}
	if j == end || (j > 0 && b[j-1] >= '0' && b[j-1] <= '9') {
		return nil, 0
	}
	return b[j:end], j
}

func isPDFDelim(c byte) bool {
	return isPDFSpace(c) || bytes.IndexByte([]byte("()<>[]{}/%"), c) >= 0
}

func refKey(num, gen []byte) string {
	n, _ := strconv.Atoi(string(num)) // "007" and "7" are the same object
	g, _ := strconv.Atoi(string(gen))
	return strconv.Itoa(n) + " " + strconv.Itoa(g)
}

var pdfIntObj = regexp.MustCompile(`^\s*(\d+)\s*endobj`)

// pdfStream is one stream: its dictionary text and the span of its data.
type pdfStream struct {
	dict               []byte // normalized dictionary text
	dataStart, dataEnd int
	end                int // after "endstream"
}

// normalizeNames decodes #xx escapes, which can spell a name in disguise
// (/J#61vaScript is /JavaScript).
func normalizeNames(b []byte) []byte {
	if bytes.IndexByte(b, '#') < 0 {
		return b
	}
	return pdfHexEsc.ReplaceAllFunc(b, func(m []byte) []byte {
		v, _ := strconv.ParseUint(string(m[1:]), 16, 8)
		return []byte{byte(v)}
	})
}

// splitPDF finds the streams, and the text between them (where every
// dictionary outside an object stream lives).
func splitPDF(b []byte, idx objIndex) (streams []pdfStream, text [][2]int, err error) {
	pos := 0
	for {
		k := indexKeyword(b, pos, "stream")
		if k < 0 {
			text = append(text, [2]int{pos, len(b)})
			return streams, text, nil
		}
		ds := k + len("stream")
		switch {
		case ds+1 < len(b) && b[ds] == '\r' && b[ds+1] == '\n':
			ds += 2
		case ds < len(b) && (b[ds] == '\n' || b[ds] == '\r'):
			ds++
		default:
			return nil, nil, errDamaged
		}
		// the object's dictionary: from its last "obj" keyword before the stream
		head := b[pos:k]
		objAt := lastObjKeyword(head)
		if objAt < 0 {
			return nil, nil, errDamaged
		}
		dict := normalizeNames(head[objAt:])
		de := -1
		if m := pdfLength.FindSubmatch(dict); m != nil {
			n, _ := strconv.Atoi(string(m[1]))
			if m[2] != nil {
				n = resolveInt(b, idx, refKey(m[1], m[2]))
			}
			if n >= 0 && ds+n <= len(b) && endstreamAt(b, ds+n) >= 0 {
				de = ds + n
			}
		}
		if de < 0 { // a wrong /Length: fall back to the endstream keyword
			e := bytes.Index(b[ds:], []byte("endstream"))
			if e < 0 {
				return nil, nil, errDamaged
			}
			de = ds + e
		}
		end := endstreamAt(b, de)
		if end < 0 {
			end = de + len("endstream")
		}
		text = append(text, [2]int{pos, k})
		streams = append(streams, pdfStream{dict: dict, dataStart: ds, dataEnd: de, end: end})
		pos = end
	}
}

// indexKeyword finds "stream" as a keyword (not inside "endstream").
func indexKeyword(b []byte, from int, kw string) int {
	for from < len(b) {
		i := bytes.Index(b[from:], []byte(kw))
		if i < 0 {
			return -1
		}
		i += from
		if i >= 3 && string(b[i-3:i]) == "end" {
			from = i + len(kw)
			continue
		}
		return i
	}
	return -1
}

func lastObjKeyword(b []byte) int {
	for end := len(b); ; {
		i := bytes.LastIndex(b[:end], []byte("obj"))
		if i < 0 {
			return -1
		}
		if i >= 3 && string(b[i-3:i]) == "end" {
			end = i - 3
			continue
		}
		return i
	}
}

// endstreamAt returns the offset after "endstream" when it follows at (after
// optional end-of-line), or -1.
func endstreamAt(b []byte, at int) int {
	for at < len(b) && (b[at] == '\r' || b[at] == '\n' || b[at] == ' ') {
		at++
	}
	if bytes.HasPrefix(b[at:], []byte("endstream")) {
		return at + len("endstream")
	}
	return -1
}

// resolveInt reads an indirect integer object ("12 0 obj 345 endobj").
func resolveInt(b []byte, idx objIndex, ref string) int {
	at := idx[ref]
	if len(at) == 0 {
		return -1
	}
	m := pdfIntObj.FindSubmatch(b[at[len(at)-1]:])
	if m == nil {
		return -1
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil {
		return -1
	}
	return n
}

func inText(text [][2]int, at int) bool {
	for _, t := range text {
		if at >= t[0] && at < t[1] {
			return true
		}
	}
	return false
}

// cleanPDF refuses active or encrypted PDFs and blanks the document
// information dictionary and every XMP metadata stream.
func cleanPDF(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b[max(0, len(b)-2048):], []byte("%%EOF")) {
		return nil, errDamaged
	}
	idx := indexObjects(b)
	streams, text, err := splitPDF(b, idx)
	if err != nil {
		return nil, err
	}
	var dicts [][]byte // every place a dictionary can be: text between streams, object streams
	for _, t := range text {
		dicts = append(dicts, normalizeNames(b[t[0]:t[1]]))
	}
	for _, s := range streams {
		dicts = append(dicts, s.dict)
	}
	inflated := 0
	for _, s := range streams {
		if !pdfObjStm.Match(s.dict) {
			continue
		}
		body, err := decodeStream(s, b, maxPDFInflate-inflated)
		if err != nil {
			return nil, err
		}
		inflated += len(body)
		dicts = append(dicts, normalizeNames(body))
	}
	for _, d := range dicts {
		if pdfActive.Match(d) {
			return nil, refusal("err.scrub.pdf_active")
		}
		if pdfCrypt.Match(d) {
			return nil, refusal("err.scrub.pdf_encrypted")
		}
	}

	out := bytes.Clone(b)
	// the document information dictionary, named by every trailer (an
	// updated file has several)
	seen := map[string]bool{}
	for _, d := range dicts[:len(text)+len(streams)] {
		for _, m := range pdfInfo.FindAllSubmatch(d, -1) {
			ref := refKey(m[1], m[2])
			if seen[ref] {
				continue
			}
			seen[ref] = true
			found := false
			for _, at := range idx[ref] {
				if !inText(text, at) {
					continue
				}
				j := at
				for j < len(b) && isPDFSpace(b[j]) {
					j++
				}
				if !bytes.HasPrefix(b[j:], []byte("<<")) {
					return nil, errDamaged
				}
				if !blankDictStrings(out, j) {
					return nil, errDamaged
				}
				found = true
			}
			if !found { // compressed inside an object stream: cannot be blanked in place
				return nil, refusal("err.scrub.pdf_meta")
			}
		}
	}
	// XMP metadata streams (document and per-object)
	for _, s := range streams {
		if !pdfMeta.Match(s.dict) {
			continue
		}
		data := out[s.dataStart:s.dataEnd]
		switch filter(s.dict) {
		case "":
			for i := range data {
				data[i] = ' '
			}
		case "FlateDecode":
			z := storedZlib(len(data))
			if z == nil || bytes.Contains(s.dict, []byte("/DecodeParms")) {
				return nil, refusal("err.scrub.pdf_meta")
			}
			copy(data, z)
		default:
			return nil, refusal("err.scrub.pdf_meta")
		}
	}
	return out, nil
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func filter(dict []byte) string {
	m := pdfFilter.FindSubmatch(dict)
	if m == nil {
		return ""
	}
	if m[1] != nil && bytes.Count(dict, []byte("/Filter")) == 1 {
		// an array of filters: only a single FlateDecode is understood
		rest := dict[bytes.Index(dict, []byte("/Filter")):]
		if end := bytes.IndexByte(rest, ']'); end < 0 || bytes.Count(rest[:end], []byte("/")) != 2 {
			return "unsupported"
		}
	}
	return string(m[2])
}

// decodeStream inflates an object stream, within a budget.
func decodeStream(s pdfStream, b []byte, budget int) ([]byte, error) {
	data := b[s.dataStart:s.dataEnd]
	switch filter(s.dict) {
	case "":
		return data, nil
	case "FlateDecode":
		if bytes.Contains(s.dict, []byte("/DecodeParms")) {
			return nil, errDamaged
		}
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, errDamaged
		}
		body, err := io.ReadAll(io.LimitReader(zr, int64(budget)+1))
		if err != nil && len(body) == 0 {
			return nil, errDamaged
		}
		if len(body) > budget {
			return nil, refusal("err.scrub.bomb")
		}
		return body, nil
	}
	return nil, errDamaged // cannot inspect it, so cannot vouch for it
}

// blankDictStrings overwrites with spaces the content of every string in the
// dictionary starting at b[at] ("<<"), up to its matching ">>".
func blankDictStrings(b []byte, at int) bool {
	depth := 0
	for i := at; i < len(b); i++ {
		switch c := b[i]; {
		case c == '<' && i+1 < len(b) && b[i+1] == '<':
			depth++
			i++
		case c == '>' && i+1 < len(b) && b[i+1] == '>':
			depth--
			i++
			if depth == 0 {
				return true
			}
		case c == '<': // hex string: spaces inside are ignored, so it becomes empty
			for i++; i < len(b) && b[i] != '>'; i++ {
				b[i] = ' '
			}
		case c == '(':
			nest := 1
			for i++; i < len(b); i++ {
				switch b[i] {
				case '\\':
					b[i] = ' '
					if i+1 < len(b) {
						i++
					}
				case '(':
					nest++
				case ')':
					nest--
				}
				if nest == 0 {
					break
				}
				b[i] = ' '
			}
		case c == '%':
			for i < len(b) && b[i] != '\n' && b[i] != '\r' {
				i++
			}
		}
	}
	return false
}

// storedZlib returns n bytes that are a valid zlib stream of spaces, made of
// stored (uncompressed) deflate blocks: a same-length stand-in for compressed
// XMP. nil when n is too small.
func storedZlib(n int) []byte {
	const maxBlock = 65535
	if n < 11 {
		return nil
	}
	k := (n - 6 + maxBlock + 5 - 1) / (maxBlock + 5)
	d := n - 6 - 5*k
	spaces := bytes.Repeat([]byte{' '}, d)
	out := make([]byte, 0, n)
	out = append(out, 0x78, 0x01)
	for i := 0; i < k; i++ {
		sz := d / k // spread evenly: every block stays within maxBlock
		if i < d%k {
			sz++
		}
		final := byte(0)
		if i == k-1 {
			final = 1
		}
		out = append(out, final, byte(sz), byte(sz>>8), ^byte(sz), ^byte(sz>>8))
		out = append(out, spaces[:sz]...)
	}
	sum := adler32.Checksum(spaces)
	return append(out, byte(sum>>24), byte(sum>>16), byte(sum>>8), byte(sum))
}
