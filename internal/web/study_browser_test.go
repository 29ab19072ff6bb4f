package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/study"
)

// An officer opens a study task, submits a reflection pasted from a
// published speech, sees it flagged and opens the comparison: the shared
// passages are highlighted on both sides and a numbered passage links to its
// counterpart.
func TestBrowserStudyReflection(t *testing.T) {
	b, srv, db := browserFixture(t)
	ctx := context.Background()
	u, err := org.UserByUsername(ctx, db.Read, "admin")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := org.LoadPrincipal(ctx, db.Read, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	task, err := study.New(db, attach.New(t.TempDir())).Create(ctx, admin, study.TaskInput{Title: "政绩观专题学习",
		UnitCode: "city2", Due: "2099-12-31", MinLength: 100, Material: "树立和践行正确政绩观。"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	browserLogin(t, b, srv, "officer1")
	b.Navigate(srv.URL + "/study")
	if st := b.ClickAndWait(`#study-list a[href="/study/` + itoa(task.ID) + `"]`); st != http.StatusOK {
		t.Fatalf("task page: %d", st)
	}
	pasted := string([]rune(study.Builtin()[1].Body)[100:600])
	if st := b.Submit("#reflection-form", url.Values{"text": {pasted}}); st != http.StatusOK {
		t.Fatalf("submit: %d", st)
	}
	if got := b.Text(".alert-success"); got != "心得体会已提交。" {
		t.Fatalf("flash %q", got)
	}
	if got := b.Text("#my-status"); !strings.Contains(got, "疑似抄袭") {
		t.Fatalf("status %q", got)
	}
	if st := b.ClickAndWait(`#my-status a`); st != http.StatusOK {
		t.Fatalf("review page: %d", st)
	}
	if b.Count("#reflection-text mark") == 0 || b.Count("#source-text mark") == 0 {
		t.Fatal("no highlighted passages")
	}
	if got := b.Text("#study-matches li"); !strings.Contains(got, study.Builtin()[1].Title) {
		t.Fatalf("source %q", got)
	}
	b.Click(`#reflection-text a[href="#src-1"]`)
	if !strings.HasSuffix(b.URL(), "#src-1") {
		t.Fatalf("the passage link goes to %s", b.URL())
	}
}
