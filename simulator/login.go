package simulator

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// The dev login is a simulator feature standing in for ID-porten: anyone can
// log in as any seeded person. It answers form_post style (OAuth 2.0 Form
// Post Response Mode): a page that POSTs access_token, token_type,
// expires_in and the caller's state to redirect_uri, so the token never
// travels in a URL. The token carries the caller's nonce, which lets the
// caller tie it to the login it started. redirect_uri must be on a loopback
// host or one of Config.LoginRedirectHosts.

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Simulator dev login</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}label{display:block;margin:.4em 0}</style>
</head><body>
<h1>Dev login</h1>
<p><strong>Simulator only.</strong> This page stands in for ID-porten: choose a test person, no password is asked.</p>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
{{if .Token}}<p>Access token for {{.Name}}:</p><textarea readonly rows="8" cols="80">{{.Token}}</textarea>
{{else}}<form method="post" action="login">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="nonce" value="{{.Nonce}}">
{{range .Persons}}<label><input type="radio" name="pid" value="{{.PID}}" required> {{.Name}} ({{.PID}})</label>
{{else}}<p>No persons are configured.</p>{{end}}
<button type="submit">Log in</button>
</form>{{end}}
</body></html>
`))

// formPostPage hands the token to redirect_uri by POST. The script submits
// it at once; without scripts the person presses Continue.
var formPostPage = template.Must(template.New("formpost").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Logging in</title></head><body>
<form method="post" action="{{.Action}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><button type="submit">Continue</button></noscript>
</form>
<script>` + formPostScript + `</script>
</body></html>
`))

const formPostScript = `document.forms[0].submit()`

// formPostScriptHash lets the Content-Security-Policy allow that one
// script and nothing else.
var formPostScriptHash = func() string {
	h := sha256.Sum256([]byte(formPostScript))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}()

type formField struct{ Name, Value string }

type loginView struct {
	Persons     []Person
	RedirectURI string
	State       string // the caller's, handed back with the token
	Nonce       string // the caller's, put in the token
	Error       string
	Token       string
	Name        string
}

func (s *Server) renderLogin(w http.ResponseWriter, status int, v loginView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// Browsers apply form-action to the redirect that follows the post, so
	// the (already allow-listed) redirect_uri's origin must be named too.
	formAction := "'self'"
	if o := origin(v.RedirectURI); o != "" {
		formAction += " " + o
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action "+formAction)
	w.WriteHeader(status)
	_ = loginPage.Execute(w, v)
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ru := q.Get("redirect_uri")
	if ru != "" && !s.redirectAllowed(ru) {
		s.renderLogin(w, http.StatusBadRequest, loginView{Error: "redirect_uri is not an allowed address"})
		return
	}
	if m := q.Get("response_mode"); m != "" && m != "form_post" {
		s.renderLogin(w, http.StatusBadRequest, loginView{Error: "response_mode must be form_post: tokens are never put in a URL"})
		return
	}
	ps, err := s.persons.List(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "list persons", "error", err)
		s.renderLogin(w, http.StatusInternalServerError, loginView{Error: "internal error"})
		return
	}
	s.renderLogin(w, http.StatusOK, loginView{Persons: ps, RedirectURI: ru, State: q.Get("state"), Nonce: q.Get("nonce")})
}

func (s *Server) handleLoginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.renderLogin(w, http.StatusBadRequest, loginView{Error: "malformed form"})
		return
	}
	ru := r.PostForm.Get("redirect_uri")
	if ru != "" && !s.redirectAllowed(ru) {
		s.renderLogin(w, http.StatusBadRequest, loginView{Error: "redirect_uri is not an allowed address"})
		return
	}
	p, err := s.persons.Get(r.Context(), r.PostForm.Get("pid"))
	var t Token
	if err == nil {
		t, err = s.issuer.IssuePersonLogin(r.Context(), p, r.PostForm.Get("nonce"))
	}
	if errors.Is(err, ErrPersonNotFound) {
		s.renderLogin(w, http.StatusBadRequest, loginView{Error: "unknown person"})
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "dev login", "error", err)
		s.renderLogin(w, http.StatusInternalServerError, loginView{Error: "internal error"})
		return
	}
	s.log.InfoContext(r.Context(), "person token issued", "pid", p.PID)
	if ru == "" {
		s.renderLogin(w, http.StatusOK, loginView{Token: t.AccessToken, Name: p.Name})
		return
	}
	fields := []formField{{"access_token", t.AccessToken}, {"token_type", "Bearer"}, {"expires_in", strconv.Itoa(t.ExpiresIn)}}
	if st := r.PostForm.Get("state"); st != "" {
		fields = append(fields, formField{"state", st})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src "+formPostScriptHash+"; form-action "+origin(ru))
	_ = formPostPage.Execute(w, struct {
		Action string
		Fields []formField
	}{ru, fields})
}

// handlePersonToken is the dev login for programs: {"pid":"..."} in, a token
// response out.
func (s *Server) handlePersonToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	var req struct {
		PID string `json:"pid"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeOAuthError(w, ErrMalformedRequest)
		return
	}
	_, t, _, msg := s.personToken(r, req.PID)
	if msg != "" {
		writeOAuthError(w, &OAuthError{ID: "person_token", Status: http.StatusBadRequest, Code: "invalid_request", Description: msg})
		return
	}
	writeToken(w, t)
}

func (s *Server) personToken(r *http.Request, pid string) (Person, Token, int, string) {
	p, err := s.persons.Get(r.Context(), pid)
	if errors.Is(err, ErrPersonNotFound) {
		return p, Token{}, http.StatusBadRequest, "unknown person"
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "get person", "error", err)
		return p, Token{}, http.StatusInternalServerError, "internal error"
	}
	t, err := s.issuer.IssuePerson(r.Context(), p)
	if err != nil {
		s.log.ErrorContext(r.Context(), "issue person token", "error", err)
		return p, Token{}, http.StatusInternalServerError, "internal error"
	}
	s.log.InfoContext(r.Context(), "person token issued", "pid", p.PID)
	return p, t, http.StatusOK, ""
}

func (s *Server) redirectAllowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return false
	}
	switch h := u.Hostname(); h {
	case "localhost":
		return true
	default:
		if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
			return true
		}
	}
	return slices.Contains(s.cfg.LoginRedirectHosts, u.Host) || slices.Contains(s.cfg.LoginRedirectHosts, u.Hostname())
}

// origin is scheme://host[:port] of an absolute http(s) URL, else "".
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
