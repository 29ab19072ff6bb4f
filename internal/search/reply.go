package search

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/text"
)

// 答复质量: hints on a reply to a reporter while a handler writes it
// (text.ReplyChecker, docs/text.md section 5). The checker learns which
// terms are common from this deployment's newest reports, and knows the
// replies already sent on them, to see a reply copied over and over. It is
// built on the first check and rebuilt in the background when older than
// replyCheckerAge.

const (
	// replyCorpusCap bounds the reports (the newest) the checker learns from.
	replyCorpusCap = 2000
	// replyCheckerAge is how long a built checker is used.
	replyCheckerAge = time.Hour
)

// ReplyCheck returns the hints for reply as an answer to report id, which
// p must be allowed to handle. Nothing is stored or audited: the lead's
// text is compared in memory and only the hints come out (its key terms,
// which p reads on the lead's page anyway, and a count of similar replies
// across the deployment).
func (ix *Index) ReplyCheck(ctx context.Context, p *org.Principal, id int64, reply string) (text.ReplyHints, error) {
	if err := checkReply(reply); err != nil {
		return text.ReplyHints{}, err
	}
	s, err := ix.openHandled(ctx, p, id)
	if err != nil {
		return text.ReplyHints{}, err
	}
	return ix.hints(ctx, routingText(s), reply)
}

// ReplyHints returns the hints for reply as an answer to message (its
// subject on the first line, then its body), for callers that have
// checked who may write the reply (a need's answer, a rating's 回访).
func (ix *Index) ReplyHints(ctx context.Context, message, reply string) (text.ReplyHints, error) {
	if err := checkReply(reply); err != nil {
		return text.ReplyHints{}, err
	}
	return ix.hints(ctx, message, reply)
}

// hints checks a reply already found valid (checkReply).
func (ix *Index) hints(ctx context.Context, message, reply string) (text.ReplyHints, error) {
	c, err := ix.replyChecker(ctx)
	if err != nil {
		return text.ReplyHints{}, err
	}
	return c.CheckDraft(message, strings.TrimSpace(reply)), nil
}

func checkReply(reply string) error {
	reply = strings.TrimSpace(reply)
	if reply == "" {
		return apperr.Invalidf("reply", "err.reply.empty")
	}
	if utf8.RuneCountInString(reply) > report.MaxMessage {
		return apperr.Invalidf("reply", "err.report.too_long", report.MaxMessage)
	}
	return nil
}

// replyChecker returns the node's checker. The first call builds it (2,000
// reports: about half a second) and callers wait for that one build; once
// it is older than replyCheckerAge the old one is still used while a new
// one is built in the background, so no check waits for a rebuild.
func (ix *Index) replyChecker(ctx context.Context) (*text.ReplyChecker, error) {
	rc := &ix.replies
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.checker == nil {
		messages, replies, err := ix.replyCorpus(ctx)
		if err != nil {
			return nil, err
		}
		rc.checker, rc.at = text.NewReplyChecker(messages, replies), time.Now()
	} else if time.Since(rc.at) >= replyCheckerAge && !rc.building {
		rc.building = true
		go ix.rebuildReplyChecker()
	}
	return rc.checker, nil
}

// rebuildReplyChecker replaces the checker with one built now; on an error
// the old one stays (and the next check after the age tries again).
func (ix *Index) rebuildReplyChecker() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	messages, replies, err := ix.replyCorpus(ctx)
	var c *text.ReplyChecker
	if err == nil {
		c = text.NewReplyChecker(messages, replies)
	}
	rc := &ix.replies
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.building = false
	if err == nil {
		rc.checker, rc.at = c, time.Now()
	}
}

// replyCorpus opens the newest replyCorpusCap reports (subject and body)
// and the replies sent to their reporters.
func (ix *Index) replyCorpus(ctx context.Context) (messages, replies []string, err error) {
	if ix.Reports == nil {
		return nil, nil, nil // no reporting channel: the checker knows no corpus
	}
	type keyed struct {
		receipt string
		wrapped []byte
	}
	keys := map[int64]keyed{}
	rows, err := ix.DB.Read.QueryContext(ctx, `SELECT id, receipt, wrapped_key, sealed FROM reports ORDER BY id DESC LIMIT $1`, replyCorpusCap)
	if err != nil {
		return nil, nil, err
	}
	minID := int64(0)
	for rows.Next() {
		var id int64
		var k keyed
		var sealed []byte
		if err := rows.Scan(&id, &k.receipt, &k.wrapped, &sealed); err != nil {
			rows.Close()
			return nil, nil, err
		}
		s, err := ix.Reports.OpenSealed(k.receipt, k.wrapped, sealed)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		messages = append(messages, routingText(s))
		keys[id], minID = k, id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(keys) == 0 {
		return nil, nil, nil
	}
	rows, err = ix.DB.Read.QueryContext(ctx, `SELECT report_id, kind, at, note FROM report_events
		WHERE report_id >= $1 AND kind IN ('`+strings.Join(report.ReplyKinds, "', '")+`') AND note IS NOT NULL`, minID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, at int64
		var kind string
		var note []byte
		if err := rows.Scan(&id, &kind, &at, &note); err != nil {
			return nil, nil, err
		}
		k, ok := keys[id]
		if !ok {
			continue // a report filed since the first read
		}
		r, err := ix.Reports.OpenNote(k.receipt, k.wrapped, note, kind, at)
		if err != nil {
			return nil, nil, err
		}
		replies = append(replies, r)
	}
	return messages, replies, rows.Err()
}
