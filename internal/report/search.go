package report

import (
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/text"
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

// OpenNote opens a timeline note (report_events.note) of the given kind
// and time, sealed under the report's key: for the text engine, which
// learns what replies to reporters look like.
func (r *Reports) OpenNote(receipt string, wrapped, note []byte, kind string, at int64) (string, error) {
	b, err := r.Seal.Open(wrapped, note, aad(receipt, noteAAD(kind, at)))
	return string(b), err
}

// ReplyKinds are the timeline events whose note is a reply to the
// reporter: an answer instead of a lead, a message, the feedback on the
// outcome.
var ReplyKinds = []string{"answered", "handler_message", "feedback"}

// SearchScope is the condition restricting reports to those p may read,
// for queries that join reports as r and their handling units as h: the
// handling unit in p's clue.read scopes, and recusal (a report naming p, or
// someone in a unit p leads, never shows). ok is false when p may read no
// report at all.
func SearchScope(p *org.Principal, arg func(any) string) (string, bool) {
	return scopeSQL(p, org.ClueRead, arg)
}

// maskOutcome hides personal data in an outcome published on the
// transparency page: numbers and addresses (text.Mask), and the names of
// the reporter and of the people the report names, wherever the handler's
// text repeats them.
func (r *Reports) maskOutcome(s, receipt string, wrapped, sealed, identity []byte) (string, error) {
	var names []string
	var c Sealed
	if err := r.openJSON(wrapped, sealed, receipt, "content", &c); err != nil {
		return "", err
	}
	for _, a := range c.Accused {
		names = append(names, a.Name)
	}
	if len(identity) > 0 {
		var id Identity
		if err := r.openJSON(wrapped, identity, receipt, "identity", &id); err != nil {
			return "", err
		}
		names = append(names, id.Name)
	}
	return text.Mask(s, names...), nil
}
