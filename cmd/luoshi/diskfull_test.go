package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDiskFull runs the server (SQLite) on a tiny tmpfs and fills it. Once the
// disk is full a public report with a file is refused with 503 and the
// message in JSON, never 500 and never a receipt for something not stored;
// when space is freed the server takes reports again by itself, and after a
// SIGKILL and a restart every acknowledged report is there and intact and the
// audit chain verifies. Needs permission to mount a tmpfs (root, or
// CAP_SYS_ADMIN); skipped otherwise.
func TestDiskFull(t *testing.T) {
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=8m,mode=0700"); err != nil {
		t.Skipf("cannot mount a tiny tmpfs to fill (%v): run as root to test a full disk", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	bin := buildLuoshi(t)
	dir := filepath.Join(mnt, "data")
	flags := []string{"--data", dir}
	tokens := seedCrash(t, filepath.Join(dir, "luoshi.db"))
	srv := startServer(t, bin, flags)

	// fill the disk, leaving a little room
	var st syscall.Statfs_t
	syscall.Statfs(mnt, &st)
	filler := filepath.Join(mnt, "filler")
	free := int64(st.Bavail) * st.Bsize
	if err := os.WriteFile(filler, make([]byte, max(free-400<<10, 0)), 0o600); err != nil {
		t.Fatal(err)
	}

	var w crashWork
	// submit sends a report, with a ~60 KB file unless bare (then only the
	// database has to grow)
	submit := func(i int, bare bool) int {
		data := bytes.Repeat([]byte(fmt.Sprintf("证据 %d ", i)), 6000)
		a := reportAck{subject: fmt.Sprintf("满盘测试 %d", i), file: fmt.Sprintf("证据-%d.txt", i), sum: sha256.Sum256(data)}
		if bare {
			a.file, data = "", nil
		}
		rep := fmt.Sprintf(`{"category":"work","unit_code":"court","subject":%q,"content":"内容%s"}`, a.subject, strings.Repeat("字", 500))
		ct, body := multipartBody(map[string]string{"report": rep}, "evidence", a.file, data)
		req, _ := http.NewRequest("POST", srv.base+"/api/v1/public/reports", body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Accept-Language", "zh-CN")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusCreated:
			var rc struct{ Receipt, Key string }
			json.Unmarshal(b, &rc)
			a.receipt, a.key = rc.Receipt, rc.Key
			w.reports = append(w.reports, a)
		case http.StatusServiceUnavailable:
			var e struct {
				Error struct{ Code, Message string }
			}
			if json.Unmarshal(b, &e) != nil || e.Error.Code != "unavailable" || e.Error.Message == "" {
				t.Errorf("503 without the JSON error: %s", b)
			}
		default:
			t.Errorf("report %d on a full disk: %d %s", i, res.StatusCode, b)
		}
		return res.StatusCode
	}
	// first the attachments no longer fit, then the database cannot grow
	refused, i := 0, 0
	for _, bare := range []bool{false, true} {
		n := 0
		for ; n < 3 && i < 2000; i++ {
			if submit(i, bare) == http.StatusServiceUnavailable {
				n++
			}
		}
		if n < 3 {
			t.Fatalf("the disk never filled (files %v): %d reports taken", !bare, len(w.reports))
		}
		refused += n
	}
	full := len(w.reports)

	// space comes back: reports are taken again without a restart
	os.Remove(filler)
	freed := time.Now()
	deadline := freed.Add(15 * time.Second)
	for submit(i, false) != http.StatusCreated {
		if time.Now().After(deadline) {
			t.Fatal("no report taken within 15 s of freeing space")
		}
		i++
		time.Sleep(200 * time.Millisecond)
	}
	recovered := time.Since(freed)
	srv.cmd.Process.Signal(os.Kill)
	<-srv.done
	srv = startServer(t, bin, flags)
	lost := w.check(t, srv.base, tokens)
	srv.stop()
	if out, err := exec.Command(bin, append([]string{"audit", "verify"}, flags...)...).CombinedOutput(); err != nil {
		t.Fatalf("audit verify after a full disk: %v\n%s", err, out)
	}
	t.Logf("full disk: %d reports taken before it filled, %d refused with 503, taken again %v after space returned; lost %d",
		full, refused, recovered.Round(time.Millisecond), lost)
}
