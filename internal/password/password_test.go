package password

import "testing"

func TestHashAndCheck(t *testing.T) {
	h := HashWith("正确的密码123", Params{Memory: 1024, Time: 1, Threads: 1})
	cases := []struct {
		pw   string
		hash string
		ok   bool
		err  bool
	}{
		{"正确的密码123", h, true, false},
		{"wrong", h, false, false},
		{"", h, false, false},
		{"x", "$argon2id$v=19$m=bad$salt$key", false, true},
		{"x", "plaintext", false, true},
		{"x", "$argon2id$v=19$m=1024,t=1,p=0$c2FsdA$a2V5", false, true},
	}
	for _, c := range cases {
		ok, err := Check(c.pw, c.hash)
		if ok != c.ok || (err != nil) != c.err {
			t.Errorf("Check(%q, %q) = %v, %v", c.pw, c.hash, ok, err)
		}
	}
	if Hash("a") == Hash("a") {
		t.Fatal("salt is not random")
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("pw", "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5")
	f.Fuzz(func(t *testing.T, pw, hash string) {
		if len(hash) > 200 {
			return
		}
		// must never panic, whatever is stored
		if ok, err := Check(pw, hash); ok && err != nil {
			t.Fatal("ok with error")
		}
	})
}
