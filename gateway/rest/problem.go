package rest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/gateway/requestid"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
)

// retryAfterSeconds is what a 503 tells clients to wait: the gateway's
// pool and listener reconnect within a second of the database's return.
const retryAfterSeconds = 1

// errUnavailable is what callers see of any failure to reach the database.
var errUnavailable = apperr.New(apperr.Unavailable, "UNAVAILABLE", "the service is temporarily unavailable; retry shortly")

// statusOf is apperr.HTTPStatus, except that a failure to reach the
// database is 503 whatever wrapped it.
func statusOf(err error) int {
	if apperr.CodeOf(err) == apperr.Internal && registry.IsUnavailable(err) {
		return http.StatusServiceUnavailable
	}
	return apperr.HTTPStatus(err)
}

// problem is an RFC 9457 problem details body in the shape of Altinn's
// ProblemDetails library (type urn:altinn:error:<code>, code, statusDescription).
type problem struct {
	Type              string            `json:"type"`
	Title             string            `json:"title"`
	Status            int               `json:"status"`
	Detail            string            `json:"detail,omitempty"`
	Code              string            `json:"code,omitempty"`
	StatusDescription string            `json:"statusDescription"`
	Instance          string            `json:"instance,omitempty"`
	RequestID         string            `json:"requestId,omitempty"`
	ValidationErrors  []validationError `json:"validationErrors,omitempty"`
}

type validationError struct {
	Code  string   `json:"code"`
	Title string   `json:"title"`
	Paths []string `json:"paths,omitempty"`
}

// writeProblem answers err as problem details; internal errors say only
// "internal error" (the cause is logged by the caller).
func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	writeProblemStatus(w, r, statusOf(err), err)
}

// writeProblemStatus is writeProblem with a status of the caller's choosing
// (the few HTTP-level answers apperr has no code for: 405, 415).
func writeProblemStatus(w http.ResponseWriter, r *http.Request, status int, err error) {
	p := problem{Status: status, StatusDescription: http.StatusText(status), Instance: r.URL.Path}
	if status == http.StatusServiceUnavailable {
		if apperr.CodeOf(err) != apperr.Unavailable {
			err = errUnavailable
		}
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	if ae, ok := apperr.As(err); ok && ae.Code != apperr.Internal {
		p.Title = ae.Message
		p.Code = ae.Altinn
		for _, v := range ae.Violations {
			ve := validationError{Code: v.Altinn, Title: v.Message}
			if ve.Code == "" {
				ve.Code = v.Reason
			}
			if v.Path != "" {
				ve.Paths = []string{v.Path}
			}
			p.ValidationErrors = append(p.ValidationErrors, ve)
		}
		if len(ae.Violations) > 0 {
			p.Code, p.Title = "STD-00000", "One or more validation errors occurred."
		}
		if p.Code == "" {
			p.Code = ae.Reason
		}
	} else {
		p.Title = "internal error"
		p.RequestID = requestid.From(r.Context())
	}
	if p.Code != "" {
		p.Type = "urn:altinn:error:" + p.Code
	} else {
		p.Type = "about:blank"
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteProblem answers err as Altinn's problem details; internal errors say
// only "internal error" (the caller logs the cause).
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) { writeProblem(w, r, err) }

// Unauthorized answers 401 with a Bearer challenge (RFC 6750).
func Unauthorized(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeProblem(w, r, err)
}

// policyFailure answers a caller the route's requirement does not admit as
// Altinn's policies do: 401 with a Bearer challenge, or 403, and no body.
func policyFailure(w http.ResponseWriter, err error) {
	if errors.Is(err, auth.ErrUnauthenticated) {
		w.Header().Set("WWW-Authenticate", "Bearer")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusForbidden)
}

// guard runs next only for callers req admits.
func guard(req auth.Requirement, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := req.Check(identity.FromContext(r.Context())); err != nil {
			policyFailure(w, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}
