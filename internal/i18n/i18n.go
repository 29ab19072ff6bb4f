// Package i18n is the message catalogue. Every string the UI or the API shows a
// person comes from here: Simplified Chinese first, English on request.
// Placeholders use fmt verbs, filled from the args in order.
package i18n

import (
	"fmt"
	"strings"
)

// Lang is a supported language.
type Lang string

const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// Default is the language a first visit gets.
const Default = ZH

// Parse returns the language named by s, or the default.
func Parse(s string) Lang {
	s = strings.ToLower(strings.TrimSpace(s))
	if strings.HasPrefix(s, "en") {
		return EN
	}
	return ZH
}

var catalogues = map[Lang]map[string]string{ZH: zh, EN: en}

// Has reports whether key is in the catalogue.
func Has(key string) bool { _, ok := zh[key]; return ok }

// T translates key into lang. A key missing from the catalogue is returned as
// is (tests fail on that, so it never reaches a user).
func T(lang Lang, key string, args ...any) string {
	m := catalogues[lang]
	if m == nil {
		m = zh
	}
	s, ok := m[key]
	if !ok {
		if s, ok = zh[key]; !ok {
			return key
		}
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Keys returns every key of a language's catalogue (for tests).
func Keys(lang Lang) []string {
	var out []string
	for k := range catalogues[lang] {
		out = append(out, k)
	}
	return out
}

// add merges more messages into a catalogue; other files of this package call
// it from init so the catalogue can be split by area (errors, UI, ...).
func add(m map[string]string, more map[string]string) {
	for k, v := range more {
		if _, dup := m[k]; dup {
			panic("i18n: duplicate key " + k)
		}
		m[k] = v
	}
}
