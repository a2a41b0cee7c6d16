package simulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/systemuser-gateway/systemuser/simulator/simctl"
)

// tokenPeek is what the request log and fault filters read from an
// assertion before (and whether or not) it is verified.
type tokenPeek struct {
	Issuer               string          `json:"iss"`
	Scope                string          `json:"scope"`
	AuthorizationDetails json.RawMessage `json:"authorization_details"`
}

// peekAssertion reads the form of a token request without consuming it:
// the body is restored for the real handler.
func peekAssertion(r *http.Request) tokenPeek {
	var p tokenPeek
	body, err := io.ReadAll(r.Body)
	if err != nil {
		// The handler must still see the failure (e.g. too large), not a
		// silently truncated form.
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		return p
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return p
	}
	tok, err := jwt.ParseSigned(form.Get("assertion"), assertionAlgs)
	if err != nil {
		return p
	}
	// Unverified on purpose: the log shows what the caller claimed, and
	// the token handler verifies everything again.
	_ = tok.UnsafeClaimsWithoutVerification(&p)
	return p
}

// controlToken wraps the token endpoint with faults and the request log.
func (s *Server) controlToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		p := peekAssertion(r)
		key := requestKey(r)
		entry := simctl.Request{
			Time: s.baseNow(), Key: key, ClientID: p.Issuer, Scopes: strings.Fields(p.Scope),
			AuthorizationDetails: p.AuthorizationDetails,
		}
		if entry.Scopes == nil {
			entry.Scopes = []string{}
		}
		rec := &recordingWriter{ResponseWriter: w}
		defer func() {
			entry.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
			s.ctl.log.add(entry)
		}()
		f, faulted := s.ctl.takeFault(key, p.Issuer, entry.Scopes)
		if faulted {
			entry.Fault = f.ID
			if f.DelayMS > 0 {
				t := time.NewTimer(time.Duration(f.DelayMS) * time.Millisecond)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
					entry.Outcome = "canceled"
					return
				}
			}
			switch {
			case f.Drop:
				entry.Outcome = "dropped"
				dropConnection(w)
				return
			case f.Status != 0:
				rec.Header().Set(simctl.FaultHeader, f.ID)
				writeOAuthError(rec, &OAuthError{ID: f.Reason, Status: f.Status, Code: f.Error, Description: f.ErrorDescription})
				entry.Status, entry.Outcome, entry.Reason = rec.status, f.Error, f.Reason
				return
			}
			rec.Header().Set(simctl.FaultHeader, f.ID) // a delay only
		}
		next.ServeHTTP(rec, r)
		entry.Status = rec.status
		entry.Reason = rec.Header().Get(ReasonHeader)
		entry.Outcome = "issued"
		if rec.status != http.StatusOK {
			var e struct {
				Error string `json:"error"`
			}
			_ = json.Unmarshal(rec.errBody.Bytes(), &e)
			entry.Outcome = e.Error
		}
	})
}

// dropConnection closes the client's connection without an answer. Without
// a hijackable connection (HTTP/2) it aborts the handler, which the server
// turns into a stream reset.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // a reset, as a crashed server or proxy gives
	}
	_ = conn.Close()
}

// recordingWriter notes the status and keeps error bodies (never a 200
// body: that holds the token).
type recordingWriter struct {
	http.ResponseWriter
	status  int
	errBody bytes.Buffer
}

func (w *recordingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.status != http.StatusOK && w.errBody.Len() < 4096 {
		w.errBody.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
