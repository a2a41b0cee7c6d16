package ui

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/registry"
)

//go:embed web/templates/*.html web/static/*
var webFS embed.FS

// pages are parsed once; they are read-only afterwards.
var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"action": actionText,
}).ParseFS(webFS, "web/templates/*.html"))

func staticHandler() http.Handler {
	sub, err := fs.Sub(webFS, "web/static")
	if err != nil {
		panic(err) // the embed pattern above guarantees the directory
	}
	return http.StripPrefix(uiBase+"/static/", http.FileServerFS(sub))
}

// pageData is what every page template gets.
type pageData struct {
	Title  string
	Person string // empty when nobody is logged in
	CSRF   string
	Base   string // uiBase, for links and form actions
	Body   any
}

// render writes a page. formTarget is an extra origin forms on the page may
// end up at (a vendor's redirect URL after approval): browsers apply CSP
// form-action to the redirect that follows a form post.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData, formTarget string) {
	d.Base = uiBase
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, d); err != nil {
		s.logger.ErrorContext(r.Context(), "render page", "page", name, "error", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>internal error</p>")
	}
	formAction := "'self'"
	if u, err := url.Parse(formTarget); err == nil && u.Scheme != "" && u.Host != "" {
		formAction += " " + u.Scheme + "://" + u.Host
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "+
		"frame-ancestors 'none'; form-action "+formAction)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorView struct {
	Status  int
	Message string
}

// renderError shows a page explaining what went wrong; ss may be nil.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, ss *session, status int, msg string) {
	d := pageData{Title: http.StatusText(status), Body: errorView{Status: status, Message: msg}}
	if ss != nil {
		d.Person, d.CSRF = ss.personName(), ss.csrf()
	}
	s.render(w, r, status, "error", d, "")
}

// renderAppError shows err: its message when it is a known application
// error, "internal error" (logged) otherwise.
func (s *Server) renderAppError(w http.ResponseWriter, r *http.Request, ss *session, err error) {
	status := apperr.HTTPStatus(err)
	msg := "Something went wrong on our side. Try again later."
	ae, isApp := apperr.As(err)
	switch {
	case registry.IsUnavailable(err):
		// The database is away for a moment: say so, and that a reload will do.
		status, msg = http.StatusServiceUnavailable, "The service is briefly unavailable. Reload the page in a moment."
		w.Header().Set("Retry-After", "1")
		s.logger.WarnContext(r.Context(), "confirm page unavailable", "error", err, "path", r.URL.Path)
	case isApp && ae.Code != apperr.Internal:
		msg = friendlyMessage(err, ae.Message)
	default:
		s.logger.ErrorContext(r.Context(), "confirm page internal error", "error", err, "path", r.URL.Path)
	}
	s.renderError(w, r, ss, status, msg)
}

// friendlyMessage explains the errors a person meets on these pages; others
// keep their own message.
func friendlyMessage(err error, message string) string {
	switch {
	case errors.Is(err, registry.ErrRequestNotFound), errors.Is(err, registry.ErrChangeRequestNotFound):
		return "The request was not found, or you do not administer the organisation it was sent to."
	case errors.Is(err, registry.ErrRequestNotNew):
		return "The request has already been answered (approved or rejected)."
	case errors.Is(err, registry.ErrRequestTimedOut):
		return "The request has timed out. Ask the vendor to send a new one."
	case errors.Is(err, registry.ErrSystemUserExists):
		return "The organisation already has a system user for this system and reference."
	case errors.Is(err, registry.ErrSystemNotFound):
		return "The system no longer exists in the System Register."
	case errors.Is(err, registry.ErrNotAdministrator):
		return "You do not administer this organisation."
	}
	return message
}

// actionText names an action in plain language.
func actionText(a string) string {
	switch a {
	case "":
		return "all actions (alle handlinger)"
	case "read":
		return "read (lese)"
	case "write":
		return "write (skrive)"
	case "sign":
		return "sign (signere)"
	}
	return a
}
