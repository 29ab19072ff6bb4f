package scrub

// Builders of test files, made in code: real encoders for the image data, and
// the metadata blocks written by hand the way cameras and office suites write
// them.

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"
)

const (
	secretMake    = "SecretPhoneModel-X9"
	secretAuthor  = "张三-举报人"
	secretComment = "COMMENT-SECRET-4711"
	secretXMP     = "xmp-creator-Li-Si"
	secretCompany = "某县公安局办公室"
)

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 24; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 10), uint8(y * 15), 128, 255})
		}
	}
	return img
}

// exifAPP1 builds an EXIF segment (without the FF E1 marker) with the camera
// make, an orientation and a GPS position, big-endian like many cameras.
func exifAPP1(orientation uint16) []byte {
	var t bytes.Buffer
	be := binary.BigEndian
	w16 := func(v uint16) { binary.Write(&t, be, v) }
	w32 := func(v uint32) { binary.Write(&t, be, v) }
	t.WriteString("MM")
	w16(42)
	w32(8)
	// IFD0 at 8: 3 entries → 2 + 36 + 4 = 42 bytes, data after at 50
	makeOff := uint32(8 + 42)
	makeStr := secretMake + "\x00"
	gpsOff := makeOff + uint32(len(makeStr))
	w16(3)
	w16(0x010F) // Make
	w16(2)
	w32(uint32(len(makeStr)))
	w32(makeOff)
	w16(0x0112) // Orientation
	w16(3)
	w32(1)
	w16(orientation)
	w16(0)
	w16(0x8825) // GPS IFD pointer
	w16(4)
	w32(1)
	w32(gpsOff)
	w32(0)
	t.WriteString(makeStr)
	// GPS IFD: latitude ref and latitude (3 rationals)
	latOff := gpsOff + 2 + 24 + 4
	w16(2)
	w16(0x0001) // GPSLatitudeRef
	w16(2)
	w32(2)
	t.WriteString("N\x00\x00\x00")
	w16(0x0002) // GPSLatitude
	w16(5)
	w32(3)
	w32(latOff)
	w32(0)
	for _, v := range []uint32{39, 1, 54, 1, 2707, 100} {
		w32(v)
	}
	return append([]byte("Exif\x00\x00"), t.Bytes()...)
}

func segment(marker byte, body []byte) []byte {
	s := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(body)+2))
	return append(s, body...)
}

// buildJPEG encodes the test image and adds EXIF (with GPS), XMP, IPTC, a
// comment, an ICC profile, a JFXX thumbnail header and bytes after the end.
func buildJPEG(t testing.TB, orientation uint16) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	enc := buf.Bytes()
	var out []byte
	out = append(out, enc[:2]...) // SOI
	out = append(out, segment(0xE0, []byte("JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00"))...)
	out = append(out, segment(0xE1, exifAPP1(orientation))...)
	out = append(out, segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><dc:creator>"+secretXMP+"</dc:creator></x:xmpmeta>"))...)
	out = append(out, segment(0xED, []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10\x1c\x02\x50\x00\x0b"+secretAuthor))...)
	out = append(out, segment(0xE2, []byte("ICC_PROFILE\x00\x01\x01fake-profile-bytes"))...)
	out = append(out, segment(0xE0, []byte("JFXX\x00\x10thumbnail"))...)
	out = append(out, segment(0xFE, []byte(secretComment))...)
	out = append(out, enc[2:]...)
	return append(out, []byte("trailing "+secretComment)...)
}

func pngChunk(typ string, data []byte) []byte {
	c := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(c, uint32(len(data)))
	copy(c[4:], typ)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// buildPNG encodes the test image and adds text, EXIF, time and private chunks.
func buildPNG(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage()); err != nil {
		t.Fatal(err)
	}
	enc := buf.Bytes()
	ihdrEnd := 8 + 12 + 13
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(secretComment))
	zw.Close()
	var out []byte
	out = append(out, enc[:ihdrEnd]...)
	out = append(out, pngChunk("tEXt", []byte("Author\x00"+secretAuthor))...)
	out = append(out, pngChunk("zTXt", append([]byte("Comment\x00\x00"), z.Bytes()...))...)
	out = append(out, pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta>"+secretXMP+"</x:xmpmeta>"))...)
	out = append(out, pngChunk("eXIf", exifAPP1(1)[6:])...)
	out = append(out, pngChunk("tIME", []byte{0x07, 0xEA, 11, 23, 10, 30, 0})...)
	out = append(out, pngChunk("prVt", []byte(secretMake))...)
	out = append(out, pngChunk("pHYs", []byte{0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1})...)
	out = append(out, enc[ihdrEnd:]...)
	return append(out, []byte(secretComment)...)
}

// buildGIF encodes a looping two-frame animation and adds a comment and an
// XMP application extension.
func buildGIF(t testing.TB) []byte {
	pal := color.Palette{color.Black, color.White, color.RGBA{255, 0, 0, 255}}
	var frames []*image.Paletted
	for i := 0; i < 2; i++ {
		p := image.NewPaletted(image.Rect(0, 0, 8, 8), pal)
		p.SetColorIndex(i, i, 2)
		frames = append(frames, p)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &gif.GIF{Image: frames, Delay: []int{10, 10}, LoopCount: 0}); err != nil {
		t.Fatal(err)
	}
	enc := buf.Bytes()
	at := bytes.Index(enc, []byte("NETSCAPE2.0")) - 3
	if at < 0 {
		t.Fatal("no NETSCAPE block")
	}
	comment := append([]byte{0x21, 0xFE, byte(len(secretComment))}, secretComment...)
	comment = append(comment, 0)
	xmp := append([]byte{0x21, 0xFF, 11}, "XMP DataXMP"...)
	payload := "<x:xmpmeta>" + secretXMP + "</x:xmpmeta>"
	xmp = append(append(xmp, byte(len(payload))), payload...)
	xmp = append(xmp, 0)
	var out []byte
	out = append(out, enc[:at]...)
	out = append(out, comment...)
	out = append(out, xmp...)
	out = append(out, enc[at:]...)
	return append(out, secretComment...)
}

// webpLossless1x1 is a valid 1x1 lossless WebP (the feature-detection image
// browsers' test suites use).
var webpLossless1x1, _ = base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")

func riffChunk(fourcc string, data []byte) []byte {
	c := make([]byte, 8, 9+len(data))
	copy(c, fourcc)
	binary.LittleEndian.PutUint32(c[4:], uint32(len(data)))
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// buildWebP wraps the 1x1 image in an extended WebP with EXIF and XMP chunks.
func buildWebP() (file, vp8l []byte) {
	vp8l = webpLossless1x1[12:] // the VP8L chunk, header included
	vp8x := make([]byte, 10)
	vp8x[0] = 0x08 | 0x04 | 0x10 // EXIF, XMP, alpha
	// canvas 1x1: width-1 and height-1 as 24-bit values (zero)
	var body []byte
	body = append(body, "WEBP"...)
	body = append(body, riffChunk("VP8X", vp8x)...)
	body = append(body, vp8l...)
	body = append(body, riffChunk("EXIF", exifAPP1(1)[6:])...)
	body = append(body, riffChunk("XMP ", []byte("<x:xmpmeta>"+secretXMP+"</x:xmpmeta>"))...)
	file = append([]byte("RIFF\x00\x00\x00\x00"), body...)
	binary.LittleEndian.PutUint32(file[4:], uint32(len(body)))
	return file, vp8l
}

// pdfBuilder writes a PDF with a correct cross-reference table.
type pdfBuilder struct {
	buf     bytes.Buffer
	offsets []int
}

func (p *pdfBuilder) obj(body string) int {
	p.offsets = append(p.offsets, p.buf.Len())
	n := len(p.offsets)
	fmt.Fprintf(&p.buf, "%d 0 obj\n%s\nendobj\n", n, body)
	return n
}

func (p *pdfBuilder) finish(trailer string) []byte {
	xref := p.buf.Len()
	fmt.Fprintf(&p.buf, "xref\n0 %d\n0000000000 65535 f \n", len(p.offsets)+1)
	for _, o := range p.offsets {
		fmt.Fprintf(&p.buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&p.buf, "trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n", len(p.offsets)+1, trailer, xref)
	return p.buf.Bytes()
}

func stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

func deflate(b []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(b)
	zw.Close()
	return z.Bytes()
}

// utf16Hex spells s as a PDF hex string in UTF-16BE with a BOM, as Word does
// for Chinese authors.
func utf16Hex(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, r := range s {
		if r > 0xFFFF {
			continue
		}
		fmt.Fprintf(&b, "%04X", r)
	}
	return b.String() + ">"
}

const pageText = "Evidence page text 2026"

// buildPDF makes a one-page PDF with an information dictionary (author in
// UTF-16 hex, producer with nested parentheses and escapes, dates) and an XMP
// metadata stream, plain or compressed; extra is added to the catalog.
func buildPDF(compressedXMP bool, catalogExtra string) []byte {
	p := &pdfBuilder{}
	p.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	xmp := []byte(`<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>` + secretXMP + `</dc:creator></x:xmpmeta><?xpacket end="w"?>`)
	metaDict := "/Type /Metadata /Subtype /XML"
	if compressedXMP {
		xmp = deflate(xmp)
		metaDict += " /Filter /FlateDecode"
	}
	content := []byte("BT /F1 12 Tf 72 720 Td (" + pageText + ") Tj ET")
	cat := p.obj("<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R " + catalogExtra + " >>")
	p.obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	p.obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 6 0 R >> >> >>")
	p.obj(stream("", content))
	p.obj(stream(metaDict, xmp))
	p.obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	info := p.obj("<< /Title (Report \\(draft\\) on (nested) things) /Author " + utf16Hex(secretAuthor) +
		" /Creator (Microsoft\\256 Word) /Producer (" + secretMake + ") /Company (" + secretCompany + ")" +
		" /CreationDate (D:20261123103000+08'00') /ModDate (D:20261124090000+08'00') >>")
	return p.finish(fmt.Sprintf("/Root %d 0 R /Info %d 0 R", cat, info))
}

func writeZip(t testing.TB, files [][2]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[1]))
	}
	zw.Close()
	return buf.Bytes()
}

// buildXLSX writes a minimal workbook with one cell and its properties.
func buildXLSX(t testing.TB) []byte {
	return writeZip(t, [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>` + pageText + `</t></is></c></row></sheetData></worksheet>`},
		{"docProps/core.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>` + secretAuthor + `</dc:creator></cp:coreProperties>`},
		{"docProps/app.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Company>` + secretCompany + `</Company></Properties>`},
	})
}

// buildDOCX writes a minimal Word document with properties, custom
// properties, a thumbnail and a photo that carries GPS.
func buildDOCX(t testing.TB, extra map[string]string) []byte {
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/><Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail" Target="docProps/thumbnail.jpeg"/></Relationships>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>` + pageText + ` 举报正文</w:t></w:r></w:p></w:body></w:document>`},
		{"docProps/core.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>` + secretAuthor + `</dc:creator><cp:lastModifiedBy>` + secretAuthor + `</cp:lastModifiedBy><dcterms:created xsi:type="dcterms:W3CDTF">2026-11-23T02:30:00Z</dcterms:created></cp:coreProperties>`},
		{"docProps/app.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Template>C:\Users\zhangsan\Normal.dotm</Template><Company>` + secretCompany + `</Company><TotalTime>42</TotalTime></Properties>`},
		{"docProps/custom.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"><property name="Owner">` + secretMake + `</property></Properties>`},
		{"word/comments.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:comments xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:comment w:id="0" w:author="` + secretAuthor + `" w:date="2026-11-23T10:30:00Z" w:initials="ZS"><w:p><w:r><w:t>批注</w:t></w:r></w:p></w:comment></w:comments>`},
		{"word/people.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml"><w15:person w15:author="` + secretAuthor + `"><w15:presenceInfo w15:providerId="AD" w15:userId="S::` + secretMake + `@example.gov.cn"/></w15:person></w15:people>`},
		{"docProps/thumbnail.jpeg", string(buildJPEG(t, 1))},
		{"word/media/image1.jpeg", string(buildJPEG(t, 1))},
	}
	for name, body := range extra { // replaces a part of the same name, or adds one
		i := 0
		for i < len(files) && files[i].name != name {
			i++
		}
		if i == len(files) {
			files = append(files, struct{ name, body string }{})
		}
		files[i].name, files[i].body = name, body
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: time.Date(2026, 11, 23, 10, 30, 0, 0, time.FixedZone("CST", 8*3600))})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f.body))
	}
	zw.SetComment("written by " + secretAuthor)
	zw.Close()
	return buf.Bytes()
}

// buildSmallDOCX writes a few-hundred-byte Word document, stored rather than
// deflated, with one part of each kind the cleaner rewrites (properties,
// relationships, content types, a part naming an author): the fuzzer's
// seed. Mutations of compressed, photo-carrying files (buildDOCX) mostly
// break the deflate stream and cost a full unpack each, about 6 executions
// a minute; realistic files are covered by TestOfficeRealisticIdempotent.
func buildSmallDOCX(t testing.TB) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range [][2]string{
		{"[Content_Types].xml", `<Types><Override PartName="/docProps/custom.xml" ContentType="c"/></Types>`},
		{"_rels/.rels", `<Relationships><Relationship Id="r" Target="docProps/custom.xml"/></Relationships>`},
		{"word/document.xml", `<w:document><w:t>正文</w:t></w:document>`},
		{"word/comments.xml", `<w:comment w:author="ZS" w:initials="Z"/>`},
		{"docProps/core.xml", `<cp:coreProperties><dc:creator>ZS</dc:creator></cp:coreProperties>`},
		{"docProps/custom.xml", `<Properties/>`},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f[0], Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[1]))
	}
	zw.Close()
	return buf.Bytes()
}
