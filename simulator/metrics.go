package simulator

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/systemuser-gateway/systemuser/metrics"
)

// tokenMetrics counts what the token endpoints answer: tokens issued by
// kind with their issuance latency, and rejections by reason (the stable
// OAuthError.ID, read from the answer's X-Simulator-Reason header, so the
// handlers need not know they are measured).
type tokenMetrics struct {
	issued   *prometheus.CounterVec
	rejected *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// Token kinds: the JWT-bearer grant (plain or system user) and the dev
// login's person tokens.
const (
	kindMaskinporten = "maskinporten"
	kindPerson       = "person"
)

// knownRejections are exported at 0 from the start, so a dashboard can
// rate() them before the first one happens.
var knownRejections = []*OAuthError{
	ErrUnsupportedGrantType, ErrMalformedRequest, ErrMalformedAssertion, ErrAlgNotAllowed, ErrMissingKid,
	ErrUnknownClient, ErrUnknownKid, ErrBadSignature, ErrSubjectMismatch, ErrWrongAudience, ErrMissingExp,
	ErrMissingIat, ErrExpired, ErrIssuedInFuture, ErrNotYetValid, ErrIssuedTooLongAgo, ErrLifetimeTooLong,
	ErrReplayed, ErrMissingScope, ErrScopeNotAllowed, ErrBadAuthzDetails, ErrNoSystemUser,
	ErrCertificateInvalid, ErrCertificateUntrusted, ErrCertificateExpired, ErrCertWrongOrg,
	ErrReplayCacheFull, ErrLookupFailed, ErrServer,
}

func newTokenMetrics(reg prometheus.Registerer) *tokenMetrics {
	m := &tokenMetrics{
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "systemuser_simulator_tokens_issued_total",
			Help: "Tokens the simulator issued, by kind (maskinporten: the JWT-bearer grant; person: the dev login)."}, []string{"kind"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "systemuser_simulator_tokens_rejected_total",
			Help: "Token requests the simulator refused, by kind and reason (the X-Simulator-Reason of the answer)."}, []string{"kind", "reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "systemuser_simulator_token_issuance_duration_seconds",
			Help: "Time to answer a token request that issued a token, by kind.", Buckets: metrics.DurationBuckets}, []string{"kind"}),
	}
	reg.MustRegister(m.issued, m.rejected, m.latency)
	for _, kind := range []string{kindMaskinporten, kindPerson} {
		m.issued.WithLabelValues(kind)
		m.latency.WithLabelValues(kind)
	}
	for _, e := range knownRejections {
		m.rejected.WithLabelValues(kindMaskinporten, e.ID)
	}
	return m
}

// wrap measures one token endpoint. The series are looked up per request:
// issuing a token costs a signature, next to which the lookup is noise.
func (m *tokenMetrics) wrap(kind string, next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 || sw.status == http.StatusOK {
			m.issued.WithLabelValues(kind).Inc()
			m.latency.WithLabelValues(kind).Observe(time.Since(start).Seconds())
			return
		}
		reason := w.Header().Get(ReasonHeader)
		if reason == "" {
			reason = "other"
		}
		m.rejected.WithLabelValues(kind, reason).Inc()
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Metrics is the registry /metrics serves (nil when Config.DisableMetrics).
func (s *Server) Metrics() *prometheus.Registry { return s.registry }
