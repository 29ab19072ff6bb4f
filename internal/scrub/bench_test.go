package scrub

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"
)

func benchClean(b *testing.B, name string, data []byte) {
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Clean(name, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCleanJPEG(b *testing.B) { benchClean(b, "a.jpg", buildJPEG(b, 6)) }
func BenchmarkCleanPDF(b *testing.B)  { benchClean(b, "a.pdf", buildPDF(true, "")) }
func BenchmarkCleanDOCX(b *testing.B) { benchClean(b, "a.docx", buildDOCX(b, nil)) }

// BenchmarkCleanLargePDF: 2000 streams of 4 KiB whose lengths are indirect
// objects, about 8 MB: resolving them must stay linear in the file size.
func BenchmarkCleanLargePDF(b *testing.B) {
	p := &pdfBuilder{}
	p.buf.WriteString("%PDF-1.7\n")
	p.obj("<< /Type /Catalog /Pages 2 0 R >>")
	p.obj("<< /Type /Pages /Kids [] /Count 0 >>")
	data := bytes.Repeat([]byte("0 0 m 1 1 l S\n"), 4096/14)
	for i := 0; i < 2000; i++ {
		n := len(p.offsets) + 2
		p.obj(fmt.Sprintf("<< /Length %d 0 R >>\nstream\n%s\nendstream", n, data))
		p.obj(strconv.Itoa(len(data)))
	}
	info := p.obj("<< /Author (someone) /Producer (x) >>")
	benchClean(b, "big.pdf", p.finish(fmt.Sprintf("/Root 1 0 R /Info %d 0 R", info)))
}
