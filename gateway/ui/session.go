package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/identity"
)

// The confirm pages keep the person's token (from the dev login, or
// ID-porten in a real setup) in an HttpOnly cookie and verify it on every
// request, like a bearer header; the verifier's cache makes that cheap.

const (
	uiBase        = "/accessmanagement/ui/systemuser"
	sessionCookie = "systemuser_session"
)

// session is a verified person on a confirm page.
type session struct {
	token  string
	claims *auth.Claims
}

// csrf is the form token bound to this session. It is an HMAC keyed by the
// session token itself: only someone who can read the HttpOnly cookie can
// compute it, and that someone already holds the session, so no server
// secret (and no per-server state) is needed.
func (ss *session) csrf() string {
	m := hmac.New(sha256.New, []byte(ss.token))
	m.Write([]byte("systemuser confirm-page form"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (ss *session) checkCSRF(r *http.Request) bool {
	got := r.PostFormValue("csrf")
	return got != "" && hmac.Equal([]byte(got), []byte(ss.csrf()))
}

// personName is what the pages call the person.
func (ss *session) personName() string {
	if ss.claims.Name != "" {
		return ss.claims.Name
	}
	return ss.claims.PID
}

// currentSession returns the verified person of r, or nil.
func (s *Server) currentSession(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	claims, err := s.verifier.Verify(r.Context(), c.Value)
	if err != nil || claims.PID == "" {
		return nil
	}
	return &session{token: c.Value, claims: claims}
}

// withPerson runs next with the person in the context. Without a session a
// GET goes to the login page and comes back; a POST is refused (its form
// token cannot be right) with a page that says to reload.
func (s *Server) withPerson(next func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss := s.currentSession(r)
		if ss == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				s.redirectToLogin(w, r)
				return
			}
			s.renderError(w, r, nil, http.StatusForbidden, "Your session has expired. Go back, reload the page and log in again.")
			return
		}
		if r.Method == http.MethodPost && !ss.checkCSRF(r) {
			s.renderError(w, r, ss, http.StatusForbidden, "The form was not sent from this page (missing or wrong form token). Reload the page and try again.")
			return
		}
		ctx := identity.NewContext(r.Context(), ss.claims.Identity())
		next(w, r.WithContext(ctx), ss)
	}
}

// redirectToLogin starts a login: a fresh state and nonce, kept in a
// short-lived cookie named after the state, go to the login page, which
// answers by POSTing the token and the state to the callback (form_post).
// The callback accepts only a state this browser holds a cookie for and a
// token that carries its nonce, so nobody can push their own login (or a
// token obtained elsewhere) into someone else's browser.
func (s *Server) redirectToLogin(w http.ResponseWriter, r *http.Request) {
	if s.cfg.LoginURL == "" {
		s.renderError(w, r, nil, http.StatusServiceUnavailable, "No login service is configured for this gateway.")
		return
	}
	login, err := url.Parse(s.cfg.LoginURL)
	if err != nil {
		s.logger.ErrorContext(r.Context(), "login URL invalid", "error", err)
		s.renderError(w, r, nil, http.StatusInternalServerError, "The login service is misconfigured.")
		return
	}
	state, nonce := randomToken(), randomToken()
	http.SetCookie(w, s.loginCookie(state, nonce+"|"+url.QueryEscape(r.URL.RequestURI()), loginTTL))
	q := login.Query()
	q.Set("redirect_uri", s.publicBase(r)+uiBase+"/login/callback")
	q.Set("response_mode", "form_post")
	q.Set("state", state)
	q.Set("nonce", nonce)
	login.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, login.String(), http.StatusSeeOther)
}

const (
	loginCookiePrefix = "systemuser_login_"
	loginTTL          = 10 * time.Minute
)

// loginCookie holds one pending login (named after its state, so logins
// started in two tabs do not overwrite each other). The callback arrives as
// a cross-origin POST from the login page: SameSite=Lax cookies are sent
// with it only when the login page is same-site (the dev stack on
// localhost); behind HTTPS the cookie is SameSite=None; Secure, as OpenID
// Connect's form_post needs.
func (s *Server) loginCookie(state, value string, ttl time.Duration) *http.Cookie {
	c := &http.Cookie{Name: loginCookiePrefix + state, Value: value, Path: uiBase + "/login/",
		MaxAge: int(ttl / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if ttl <= 0 {
		c.MaxAge = -1
	}
	if strings.HasPrefix(s.cfg.PublicURL, "https://") {
		c.Secure, c.SameSite = true, http.SameSiteNoneMode
	}
	return c
}

// randomToken is 256 random bits, URL- and cookie-name-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// safeNext accepts only a path on the confirm pages, so the callback can
// never be used to redirect elsewhere.
func safeNext(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(raw, "//") ||
		!strings.HasPrefix(u.Path, uiBase+"/") || strings.Contains(u.Path, "/../") {
		return uiBase + "/overview"
	}
	return u.RequestURI()
}

// handleLoginCallback receives the login's form_post: the token and the
// state. It accepts them only for a login this browser started (its state
// cookie) whose nonce the token carries; the state is single use.
func (s *Server) handleLoginCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	state := r.PostFormValue("state")
	var pending *http.Cookie
	if len(state) == 43 && strings.Trim(state, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == "" {
		pending, _ = r.Cookie(loginCookiePrefix + state)
	}
	if pending == nil {
		s.renderError(w, r, nil, http.StatusBadRequest, "This login was not started in this browser, or took longer than 10 minutes. Open the page again to log in.")
		return
	}
	http.SetCookie(w, s.loginCookie(state, "", 0)) // single use, whatever follows
	nonce, rawNext, _ := strings.Cut(pending.Value, "|")
	next, _ := url.QueryUnescape(rawNext)
	raw := r.PostFormValue("access_token")
	claims, err := s.verifier.Verify(r.Context(), raw)
	if raw == "" || err != nil || claims.PID == "" {
		s.renderError(w, r, nil, http.StatusUnauthorized, "The login did not return a valid person token. Try again.")
		return
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(claims.Nonce), []byte(nonce)) != 1 {
		s.logger.WarnContext(r.Context(), "confirm page login with another login's token", "pid", claims.PID, "jti", claims.JTI)
		s.renderError(w, r, nil, http.StatusBadRequest, "The login returned a token from another login. Open the page again to log in.")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: raw, Path: uiBase + "/", Expires: claims.Expiry,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(s.cfg.PublicURL, "https://"),
	})
	s.logger.InfoContext(r.Context(), "confirm page login", "pid", claims.PID, "jti", claims.JTI)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, _ *session) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: uiBase + "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(s.cfg.PublicURL, "https://")})
	s.render(w, r, http.StatusOK, "loggedout", pageData{Title: "Logged out"}, "")
}
