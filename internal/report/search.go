package report

import (
	"github.com/luoshi/luoshi/internal/org"
)

// OpenSealed opens a report's sealed fields from its row (receipt,
// wrapped_key, sealed), for the search indexer and the text features, which
// read reports in bulk. It checks no permission: callers apply SearchScope
// (or their own) to what they show.
func (r *Reports) OpenSealed(receipt string, wrapped, sealed []byte) (Sealed, error) {
	var s Sealed
	err := r.openJSON(wrapped, sealed, receipt, "content", &s)
	return s, err
}

// SearchScope is the condition restricting reports to those p may read,
// for queries that join reports as r and their handling units as h: the
// handling unit in p's clue.read scopes, and recusal (a report naming p, or
// someone in a unit p leads, never shows). ok is false when p may read no
// report at all.
func SearchScope(p *org.Principal, arg func(any) string) (string, bool) {
	return scopeSQL(p, org.ClueRead, arg)
}
