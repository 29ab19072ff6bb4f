package vault

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"golang.org/x/crypto/chacha20poly1305"
)

// ChunkSize is the plaintext size of each sealed chunk of a file.
const ChunkSize = 64 << 10

// File layout (the STREAM construction over XChaCha20-Poly1305):
//
//	header: format (1) | nonce prefix (19, random)
//	chunks: each ChunkSize plaintext bytes (the last one 0..ChunkSize) + 16-byte tag
//
// Chunk i is sealed with nonce = prefix | i (uint32, big endian) | last (0 or 1)
// and aad = header | caller's aad. A reordered or dropped chunk fails its
// nonce; a file cut at a chunk boundary fails because its new final chunk was
// not sealed as the last; a file moved to another record fails its aad.
const (
	prefixSize = chacha20poly1305.NonceSizeX - 5
	fileHeader = 1 + prefixSize
	sealedSize = ChunkSize + chacha20poly1305.Overhead
)

// SealFile encrypts everything r yields into w under dk, bound to aad (e.g.
// "report:123:attachment:4"). Memory use is one chunk, whatever the file size.
func SealFile(dk DataKey, r io.Reader, w io.Writer, aad []byte) error {
	if !dk.valid() {
		return errors.New("vault: SealFile with a zero DataKey")
	}
	aead, _ := chacha20poly1305.NewX(dk.k[:])
	hdr := make([]byte, fileHeader)
	hdr[0] = formatFile
	rand.Read(hdr[1:])
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	ad := append(append([]byte{}, hdr...), aad...)
	br := bufio.NewReaderSize(r, ChunkSize)
	buf := make([]byte, ChunkSize, sealedSize)
	var nonce [chacha20poly1305.NonceSizeX]byte
	copy(nonce[:], hdr[1:])
	for i := uint64(0); ; i++ {
		if i > math.MaxUint32 {
			return errors.New("vault: file too large to seal")
		}
		n, err := io.ReadFull(br, buf[:ChunkSize])
		last := false
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			last = true
		case err != nil:
			return err
		default:
			if _, perr := br.Peek(1); perr == io.EOF {
				last = true
			} else if perr != nil {
				return perr
			}
		}
		setChunkNonce(&nonce, uint32(i), last)
		if _, err := w.Write(aead.Seal(buf[:0], nonce[:], buf[:n], ad)); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}

func setChunkNonce(nonce *[chacha20poly1305.NonceSizeX]byte, i uint32, last bool) {
	binary.BigEndian.PutUint32(nonce[prefixSize:], i)
	nonce[len(nonce)-1] = 0
	if last {
		nonce[len(nonce)-1] = 1
	}
}

// OpenFile decrypts a SealFile stream from r into w. It writes each chunk only
// after that chunk authenticated, but an error on a later chunk means the
// whole output must be discarded: write to a temporary file (or buffer) and
// use it only when OpenFile returns nil.
func OpenFile(dk DataKey, r io.Reader, w io.Writer, aad []byte) error {
	if !dk.valid() {
		return ErrDecrypt
	}
	aead, _ := chacha20poly1305.NewX(dk.k[:])
	br := bufio.NewReaderSize(r, sealedSize)
	hdr := make([]byte, fileHeader)
	if _, err := io.ReadFull(br, hdr); err != nil || hdr[0] != formatFile {
		return ErrFormat
	}
	ad := append(append([]byte{}, hdr...), aad...)
	buf := make([]byte, sealedSize)
	var nonce [chacha20poly1305.NonceSizeX]byte
	copy(nonce[:], hdr[1:])
	for i := uint64(0); ; i++ {
		if i > math.MaxUint32 {
			return ErrDecrypt
		}
		n, err := io.ReadFull(br, buf)
		last := false
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			last = true
		case err != nil:
			return err
		default:
			if _, perr := br.Peek(1); perr == io.EOF {
				last = true
			} else if perr != nil {
				return perr
			}
		}
		if n < chacha20poly1305.Overhead {
			return fmt.Errorf("vault: the file ends early: %w", ErrDecrypt)
		}
		setChunkNonce(&nonce, uint32(i), last)
		pt, err := aead.Open(buf[:0], nonce[:], buf[:n], ad)
		if err != nil {
			return ErrDecrypt
		}
		if _, err := w.Write(pt); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}
