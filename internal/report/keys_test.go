package report_test

import (
	"testing"

	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/report"
)

// TestKeyHashesMatchThePasswordFormat: keys hashed on pooled memory are the
// same argon2id PHC strings internal/password writes and reads, both ways, so
// every stored key hash keeps working.
func TestKeyHashesMatchThePasswordFormat(t *testing.T) {
	key := report.NewKey()
	h := report.HashKey(key)
	if ok, err := password.Check(key, h); !ok || err != nil {
		t.Fatalf("password.Check(HashKey) = %v, %v (%s)", ok, err, h)
	}
	old := password.HashWith(key, report.KeyParams)
	if !report.CheckKey(key, old) || !report.CheckKey(key, h) {
		t.Fatal("CheckKey refuses a right key")
	}
	other := report.NewKey()
	if report.CheckKey(other, h) || report.CheckKey(other, old) || report.CheckKey(key, "") {
		t.Fatal("CheckKey accepts a wrong key")
	}
	for _, bad := range []string{"plain", "$argon2id$v=19$m=bad$c2FsdA$a2V5", "$argon2id$v=19$m=1024,t=1,p=0$c2FsdA$a2V5",
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdA$a2V5"} {
		if report.CheckKey(key, bad) {
			t.Fatalf("CheckKey accepts %q", bad)
		}
	}
}
