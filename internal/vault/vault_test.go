package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func testVault(t testing.TB) *Vault {
	t.Helper()
	v, err := LoadKey(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLoadKeyCreatesAndReusesTheKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // does not exist yet
	v1, err := LoadKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if !v1.Created() {
		t.Fatal("first LoadKey did not report creating the key file")
	}
	st, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %04o, want 0600", st.Mode().Perm())
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".master.key-*")); len(leftovers) != 0 {
		t.Fatalf("temporary key files left behind: %v", leftovers)
	}
	v2, err := LoadKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if v2.Created() || v2.KeyID() != v1.KeyID() {
		t.Fatalf("second load: created=%v id %s, want the same key %s", v2.Created(), v2.KeyID(), v1.KeyID())
	}
	// a data key wrapped by one load unwraps with the other
	dk, wrapped, _ := v1.NewDataKey()
	dk2, err := v2.Unwrap(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Open(dk2, Seal(dk, []byte("x"), nil), nil); err != nil || string(got) != "x" {
		t.Fatalf("reloaded key: %q %v", got, err)
	}
	// the key never shows in formatted output
	raw, _ := os.ReadFile(filepath.Join(dir, KeyFileName))
	for _, s := range []string{fmt.Sprint(v1), fmt.Sprintf("%+v", v1), fmt.Sprintf("%#v", v1), fmt.Sprintf("%v %#v", dk, dk)} {
		if strings.Contains(s, strings.TrimSpace(string(raw))) || strings.Contains(s, "k:") {
			t.Fatalf("key material in %q", s)
		}
	}
}

func TestLoadKeyFromEnvironmentWins(t *testing.T) {
	dir := t.TempDir()
	fileVault, _ := LoadKey(dir, "")
	key := make([]byte, KeySize)
	rand.Read(key)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		v, err := LoadKey(dir, " "+enc.EncodeToString(key)+"\n")
		if err != nil {
			t.Fatal(err)
		}
		if v.KeyID() == fileVault.KeyID() || v.Source() != EnvName+" (environment)" {
			t.Fatalf("env key not used: %s from %s", v.KeyID(), v.Source())
		}
	}
	// no key file is created when the key comes from the environment
	empty := t.TempDir()
	if _, err := LoadKey(empty, base64.StdEncoding.EncodeToString(key)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(empty, KeyFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("key file created although the environment held the key: %v", err)
	}
}

func TestLoadKeyRefusesBadKeys(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcde")) // 31 bytes
	cases := []struct {
		name, env, file string
		mode            os.FileMode
		want            string
	}{
		{name: "short env", env: secret, want: "must be 32 bytes"},
		{name: "env not base64", env: "not base64 at all!", want: "not valid base64"},
		{name: "short file", file: secret, mode: 0o600, want: "must be 32 bytes"},
		{name: "file readable by group", file: base64.StdEncoding.EncodeToString(make([]byte, 32)), mode: 0o640, want: "chmod 600"},
		{name: "file readable by all", file: base64.StdEncoding.EncodeToString(make([]byte, 32)), mode: 0o644, want: "chmod 600"},
		{name: "file garbage", file: "\x00\x01garbage", mode: 0o600, want: "not valid base64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.file != "" {
				p := filepath.Join(dir, KeyFileName)
				os.WriteFile(p, []byte(c.file), 0o600)
				os.Chmod(p, c.mode)
			}
			_, err := LoadKey(dir, c.env)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
			if c.env != "" && strings.Contains(err.Error(), c.env) {
				t.Fatal("the error echoes the key")
			}
			if c.file != "" {
				// the bad file is left as it was, never replaced by a new key
				b, _ := os.ReadFile(filepath.Join(dir, KeyFileName))
				if string(b) != c.file {
					t.Fatal("the bad key file was changed")
				}
			}
		})
	}
	// LoadExistingKey never creates
	dir := t.TempDir()
	if _, err := LoadExistingKey(dir, ""); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing key file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("LoadExistingKey created a key file")
	}
}

func TestSealOpenRoundTripAndTamper(t *testing.T) {
	v := testVault(t)
	dk, wrapped, err := v.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	if WrappedKeyID(wrapped) != v.KeyID() {
		t.Fatalf("wrapped key names %q, want %q", WrappedKeyID(wrapped), v.KeyID())
	}
	aad := []byte("report:123:content")
	for _, msg := range []string{"", "x", "举报人:张三,电话 13800000000", strings.Repeat("长文本", 10000)} {
		ct := Seal(dk, []byte(msg), aad)
		if len(msg) > 3 && bytes.Contains(ct, []byte(msg)) {
			t.Fatal("ciphertext holds the plaintext")
		}
		pt, err := Open(dk, ct, aad)
		if err != nil || string(pt) != msg {
			t.Fatalf("round trip %q: %q %v", msg, pt, err)
		}
		// two seals of the same text differ (random nonces)
		if bytes.Equal(ct, Seal(dk, []byte(msg), aad)) {
			t.Fatal("sealing twice gave the same ciphertext")
		}
	}
	ct := Seal(dk, []byte("secret"), aad)
	// every single flipped bit is detected
	for i := 0; i < len(ct)*8; i++ {
		bad := bytes.Clone(ct)
		bad[i/8] ^= 1 << (i % 8)
		if _, err := Open(dk, bad, aad); err == nil {
			t.Fatalf("flipped bit %d not detected", i)
		}
	}
	if _, err := Open(dk, ct, []byte("report:124:content")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("other record's aad: %v", err)
	}
	if _, err := Open(dk, ct, []byte("report:123:name")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("other field's aad: %v", err)
	}
	if _, err := Open(dk, ct[:len(ct)-1], aad); err == nil {
		t.Fatal("truncated ciphertext opened")
	}
	other, _, _ := v.NewDataKey()
	if _, err := Open(other, ct, aad); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("other data key: %v", err)
	}
	if _, err := Open(DataKey{}, ct, aad); err == nil {
		t.Fatal("zero data key opened")
	}
	for _, junk := range [][]byte{nil, {}, {formatSealed}, bytes.Repeat([]byte{formatSealed}, 40)} {
		if _, err := Open(dk, junk, aad); err == nil {
			t.Fatalf("junk %x opened", junk)
		}
	}

	// strings
	s := SealString(dk, "实名举报:李四", "report:9:identity")
	if strings.Contains(s, "李四") {
		t.Fatal("sealed string holds the plaintext")
	}
	if got, err := OpenString(dk, s, "report:9:identity"); err != nil || got != "实名举报:李四" {
		t.Fatalf("OpenString: %q %v", got, err)
	}
	if _, err := OpenString(dk, s, "report:10:identity"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("swapped string: %v", err)
	}
	if _, err := OpenString(dk, "%%%", ""); !errors.Is(err, ErrFormat) {
		t.Fatalf("non-base64: %v", err)
	}
}

func TestUnwrapRefusesWrongKeyAndTampering(t *testing.T) {
	v := testVault(t)
	_, wrapped, _ := v.NewDataKey()
	if len(wrapped) != wrappedSize {
		t.Fatalf("wrapped size %d", len(wrapped))
	}
	other := testVault(t)
	if _, err := other.Unwrap(wrapped); !errors.Is(err, ErrDecrypt) || !strings.Contains(err.Error(), v.KeyID()) {
		t.Fatalf("unwrap with another master key: %v", err)
	}
	for i := 0; i < len(wrapped)*8; i++ {
		bad := bytes.Clone(wrapped)
		bad[i/8] ^= 1 << (i % 8)
		if _, err := v.Unwrap(bad); err == nil {
			t.Fatalf("flipped bit %d of a wrapped key not detected", i)
		}
	}
	if _, err := v.Unwrap(wrapped[:len(wrapped)-1]); !errors.Is(err, ErrFormat) {
		t.Fatalf("short wrapped key: %v", err)
	}
	// two data keys differ
	a, wa, _ := v.NewDataKey()
	b, wb, _ := v.NewDataKey()
	if bytes.Equal(wa, wb) || *a.k == *b.k {
		t.Fatal("two data keys are equal")
	}
}

func sealFile(t *testing.T, dk DataKey, data, aad []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := SealFile(dk, bytes.NewReader(data), &buf, aad); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFileRoundTrip(t *testing.T) {
	v := testVault(t)
	dk, _, _ := v.NewDataKey()
	aad := []byte("report:1:attachment:1")
	for _, n := range []int{0, 1, 100, ChunkSize - 1, ChunkSize, ChunkSize + 1, 2 * ChunkSize, 3*ChunkSize + 17} {
		data := make([]byte, n)
		rand.Read(data)
		ct := sealFile(t, dk, data, aad)
		var out bytes.Buffer
		if err := OpenFile(dk, bytes.NewReader(ct), &out, aad); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("%d bytes: round trip differs", n)
		}
		// the overhead is the header plus one tag per chunk, nothing else
		want := fileHeader + n + ((n+ChunkSize-1)/ChunkSize)*16
		if n == 0 {
			want = fileHeader + 16
		}
		if len(ct) != want {
			t.Fatalf("%d bytes sealed into %d, want %d", n, len(ct), want)
		}
	}
	// a reader that yields a few bytes at a time gives the same result
	data := bytes.Repeat([]byte("证据"), ChunkSize)
	var buf bytes.Buffer
	if err := SealFile(dk, &trickle{data}, &buf, aad); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := OpenFile(dk, &trickle{buf.Bytes()}, &out, aad); err != nil || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("trickled: %v", err)
	}
}

type trickle struct{ b []byte }

func (r *trickle) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 7)], r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestFileTamperingIsDetected(t *testing.T) {
	v := testVault(t)
	dk, _, _ := v.NewDataKey()
	aad := []byte("report:1:attachment:1")
	data := make([]byte, 3*ChunkSize+100)
	rand.Read(data)
	ct := sealFile(t, dk, data, aad)
	chunk := func(i int) []byte { return ct[fileHeader+i*sealedSize : min(len(ct), fileHeader+(i+1)*sealedSize)] }

	swapped := append(append(append(append([]byte{}, ct[:fileHeader]...), chunk(1)...), chunk(0)...), ct[fileHeader+2*sealedSize:]...)
	flipped := bytes.Clone(ct)
	flipped[fileHeader+ChunkSize+50] ^= 0x40
	flippedHeader := bytes.Clone(ct)
	flippedHeader[3] ^= 1
	otherKey, _, _ := v.NewDataKey()

	cases := []struct {
		name string
		ct   []byte
		dk   DataKey
		aad  []byte
	}{
		{"cut at a chunk boundary", ct[:fileHeader+2*sealedSize], dk, aad},
		{"cut after the first chunk", ct[:fileHeader+sealedSize], dk, aad},
		{"cut inside a chunk", ct[:fileHeader+sealedSize+1000], dk, aad},
		{"last chunk dropped to its tag", ct[:len(ct)-100], dk, aad},
		{"header only", ct[:fileHeader], dk, aad},
		{"chunks reordered", swapped, dk, aad},
		{"flipped bit in a chunk", flipped, dk, aad},
		{"flipped bit in the header", flippedHeader, dk, aad},
		{"bytes appended", append(bytes.Clone(ct), 0), dk, aad},
		{"other record", ct, dk, []byte("report:2:attachment:1")},
		{"other data key", ct, otherKey, aad},
		{"not a vault file", []byte("%PDF-1.7 plain file"), dk, aad},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := OpenFile(c.dk, bytes.NewReader(c.ct), &bytes.Buffer{}, c.aad); err == nil {
				t.Fatal("tampered file opened")
			}
		})
	}
	// an empty file cut to nothing but its header is detected too
	empty := sealFile(t, dk, nil, aad)
	if err := OpenFile(dk, bytes.NewReader(empty[:fileHeader]), &bytes.Buffer{}, aad); err == nil {
		t.Fatal("empty file without its final chunk opened")
	}
}

func TestBlindTokens(t *testing.T) {
	v := testVault(t)
	a := v.BlindTokens("content", []string{"拆迁", "补偿", "拆迁"})
	if len(a) != 3 || a[0] != a[2] || a[0] == a[1] || len(a[0]) != 16 {
		t.Fatalf("tokens %v", a)
	}
	if b := v.BlindTokens("name", []string{"拆迁"}); b[0] == a[0] {
		t.Fatal("the same token in two fields hashes the same")
	}
	if c := testVault(t).BlindTokens("content", []string{"拆迁"}); c[0] == a[0] {
		t.Fatal("two master keys give the same blind token")
	}
	// field and token cannot be shifted into each other
	if v.BlindTokens("ab", []string{"c"})[0] == v.BlindTokens("a", []string{"bc"})[0] {
		t.Fatal("field/token boundary is ambiguous")
	}
	if got := v.BlindTokens("content", nil); len(got) != 0 {
		t.Fatal(got)
	}
}

func TestCheckBindsTheDatabaseToTheKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		v, err := LoadKey(dir, "")
		if err != nil {
			t.Fatal(err)
		}
		if bound, err := v.Verify(ctx, db.Read); err != nil || bound {
			t.Fatalf("fresh database: bound=%v %v", bound, err)
		}
		if err := v.Check(ctx, db.Write); err != nil {
			t.Fatal(err)
		}
		if err := v.Check(ctx, db.Write); err != nil { // the next start
			t.Fatal(err)
		}
		if bound, err := v.Verify(ctx, db.Read); err != nil || !bound {
			t.Fatalf("after Check: bound=%v %v", bound, err)
		}
		// the stored row holds no key material
		var id, check string
		db.Read.QueryRow(`SELECT key_id, check_value FROM vault_master`).Scan(&id, &check)
		raw, _ := os.ReadFile(filepath.Join(dir, KeyFileName))
		key, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
		if id != v.KeyID() || strings.Contains(check, fmt.Sprintf("%x", key[:8])) {
			t.Fatalf("stored id %q check %q", id, check)
		}

		// the key file was lost: a new one is created, and the start is refused
		os.Remove(filepath.Join(dir, KeyFileName))
		lost, err := LoadKey(dir, "")
		if err != nil {
			t.Fatal(err)
		}
		err = lost.Check(ctx, db.Write)
		var mm *KeyMismatchError
		if !errors.As(err, &mm) || !mm.NewKeyFile || mm.WantID != v.KeyID() || mm.HaveID != lost.KeyID() {
			t.Fatalf("lost key: %v", err)
		}
		for _, want := range []string{"from your key backup", KeyFileName, EnvName, v.KeyID(), "was just created"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message lacks %q: %s", want, err)
			}
		}
		// a wrong key from the environment is refused as well
		wrong := make([]byte, KeySize)
		rand.Read(wrong)
		ev, _ := LoadKey(dir, base64.StdEncoding.EncodeToString(wrong))
		if err := ev.Check(ctx, db.Write); !errors.As(err, &mm) || !strings.Contains(err.Error(), EnvName) {
			t.Fatalf("wrong env key: %v", err)
		}
		if _, err := ev.Verify(ctx, db.Read); !errors.As(err, &mm) {
			t.Fatalf("Verify with the wrong key: %v", err)
		}
		// the refused keys did not replace the registered one
		if err := v.Check(ctx, db.Write); err != nil {
			t.Fatalf("the right key after refusals: %v", err)
		}
		var n int
		db.Read.QueryRow(`SELECT COUNT(*) FROM vault_master`).Scan(&n)
		if n != 1 {
			t.Fatalf("%d key rows", n)
		}
	})
}

// TestCopiedDatabaseShowsNoPlaintext writes sealed secrets through a real
// SQLite database, then searches the raw bytes of the database file and its
// WAL, as someone holding a copy would. A control value stored in the clear
// must be found, so the search itself is proven to work.
func TestCopiedDatabaseShowsNoPlaintext(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "luoshi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := LoadKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Check(ctx, db.Write); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`CREATE TABLE secrets (id INTEGER PRIMARY KEY, wrapped_key BLOB, content TEXT, note TEXT)`); err != nil {
		t.Fatal(err)
	}
	const control = "CONTROL-VISIBLE-7f3a9"
	secrets := []string{"举报人王某某身份证号110101199001011234", "REPORTER-SECRET-c41d8cd98f00b204", "县公安局某某收受红包"}
	for i, s := range secrets {
		dk, wrapped, _ := v.NewDataKey()
		ct := SealString(dk, s, fmt.Sprintf("secret:%d:content", i+1))
		if _, err := db.Write.Exec(`INSERT INTO secrets (id, wrapped_key, content, note) VALUES ($1, $2, $3, $4)`,
			i+1, wrapped, ct, control); err != nil {
			t.Fatal(err)
		}
	}
	// the values still open from the database
	var wrapped []byte
	var ct string
	if err := db.Read.QueryRow(`SELECT wrapped_key, content FROM secrets WHERE id = 2`).Scan(&wrapped, &ct); err != nil {
		t.Fatal(err)
	}
	dk, err := v.Unwrap(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := OpenString(dk, ct, "secret:2:content"); err != nil || got != secrets[1] {
		t.Fatalf("read back: %q %v", got, err)
	}

	var raw []byte
	for _, f := range []string{"luoshi.db", "luoshi.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	if !bytes.Contains(raw, []byte(control)) {
		t.Fatal("the control value is not in the raw files: the search proves nothing")
	}
	keyFile, _ := os.ReadFile(filepath.Join(dir, KeyFileName))
	for _, s := range append(secrets, strings.TrimSpace(string(keyFile)), "110101199001011234", "红包") {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("%q found in the raw database or WAL", s)
		}
	}
}
