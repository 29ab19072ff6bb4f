// Package notifytest holds test doubles for notifications: an SMTP sink
// (a tiny SMTP server on 127.0.0.1) and a reader for the mails it receives.
package notifytest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// SMTPSink is a tiny SMTP server on 127.0.0.1 that keeps what it receives:
// EHLO, optional STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
type SMTPSink struct {
	t        testing.TB
	ln       net.Listener
	tls      *tls.Config // offered through STARTTLS when set
	wantAuth string      // "user\x00password" when AUTH is required
	mu       sync.Mutex
	msgs     []SinkMsg
}

// SinkMsg is one received message.
type SinkMsg struct {
	From   string
	To     []string
	Data   string
	Auth   string // the credentials given, "user\x00password"
	UnderT bool   // the transaction ran over TLS
}

// NewSMTPSink starts a sink; tlsCfg offers STARTTLS, wantAuth ("user\x00password")
// requires AUTH PLAIN with those credentials. It stops when the test ends.
func NewSMTPSink(t testing.TB, tlsCfg *tls.Config, wantAuth string) *SMTPSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTPSink{t: t, ln: ln, tls: tlsCfg, wantAuth: wantAuth}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

// Port is the sink's TCP port.
func (s *SMTPSink) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Messages returns what the sink has received so far.
func (s *SMTPSink) Messages() []SinkMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SinkMsg(nil), s.msgs...)
}

func (s *SMTPSink) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	say := func(line string) { w.WriteString(line + "\r\n"); w.Flush() }
	say("220 sink ESMTP")
	var cur SinkMsg
	isTLS, authed := false, false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		arg := strings.TrimSpace(strings.TrimPrefix(line, strings.SplitN(line, " ", 2)[0]))
		switch verb {
		case "EHLO", "HELO":
			w.WriteString("250-sink\r\n")
			if s.tls != nil && !isTLS {
				w.WriteString("250-STARTTLS\r\n")
			}
			w.WriteString("250-AUTH PLAIN\r\n250-8BITMIME\r\n250 OK\r\n")
			w.Flush()
		case "STARTTLS":
			if s.tls == nil || isTLS {
				say("502 no")
				continue
			}
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, isTLS = tc, true
			r, w = bufio.NewReader(tc), bufio.NewWriter(tc)
		case "AUTH":
			parts := strings.Fields(arg)
			if len(parts) == 0 || strings.ToUpper(parts[0]) != "PLAIN" {
				say("504 only PLAIN")
				continue
			}
			enc := ""
			if len(parts) > 1 {
				enc = parts[1]
			} else {
				say("334 ")
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				enc = strings.TrimSpace(l)
			}
			raw, _ := base64.StdEncoding.DecodeString(enc)
			cred := strings.TrimPrefix(string(raw), "\x00") // authzid is empty
			cur.Auth = cred
			if s.wantAuth != "" && cred != s.wantAuth {
				say("535 bad credentials")
				continue
			}
			authed = true
			say("235 ok")
		case "MAIL":
			if s.wantAuth != "" && !authed {
				say("530 authenticate first")
				continue
			}
			cur.From, cur.To, cur.Data = addrOf(arg), nil, ""
			say("250 ok")
		case "RCPT":
			a := addrOf(arg)
			if strings.HasPrefix(a, "reject") {
				say("550 no such user")
				continue
			}
			cur.To = append(cur.To, a)
			say("250 ok")
		case "DATA":
			say("354 end with .")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.Data, cur.UnderT = b.String(), isTLS
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			say("250 queued")
		case "RSET":
			cur.From, cur.To, cur.Data = "", nil, ""
			say("250 ok")
		case "NOOP":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown")
		}
	}
}

func addrOf(arg string) string {
	i, j := strings.IndexByte(arg, '<'), strings.IndexByte(arg, '>')
	if i < 0 || j < i {
		return ""
	}
	return arg[i+1 : j]
}

// SelfSigned returns a server config for 127.0.0.1 and a client config trusting it.
func SelfSigned(t testing.TB) (server, client *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// Mail is a received message, decoded.
type Mail struct {
	Header mail.Header
	Sub    string
	Text   string
	HTML   string
}

// ParseMail decodes a received message: subject, plain-text and HTML parts.
func ParseMail(t testing.TB, data string) Mail {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("unreadable message: %v\n%s", err, data)
	}
	var dec mime.WordDecoder
	sub, _ := dec.DecodeHeader(m.Header.Get("Subject"))
	out := Mail{Header: m.Header, Sub: sub}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("want a multipart message, got %q", m.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			body = base64.NewDecoder(base64.StdEncoding, p)
		}
		b, _ := io.ReadAll(body)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			out.Text = string(b)
		case "text/html":
			out.HTML = string(b)
		}
	}
	return out
}
