package gateway

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/systemuser-gateway/systemuser/dataloaders"
	"github.com/systemuser-gateway/systemuser/gateway/graphqlws"
	"github.com/systemuser-gateway/systemuser/identity"
)

// websocketTransport serves subscriptions (and queries and mutations) over
// graphql-transport-ws. A socket lives only as long as the token that
// opened it: it closes with 4403 at the token's exp, so an expired token
// cannot keep reading or mutating through an old connection.
func (s *Server) websocketTransport(cfg GraphQLConfig) graphqlws.Transport {
	return graphqlws.Transport{
		Init:          s.websocketInit,
		InitTimeout:   cfg.WebsocketInitTimeout,
		MaxOperations: cfg.WebsocketMaxOperations,
		PerOperation: func(ctx context.Context) context.Context {
			return dataloaders.NewContext(ctx, s.deps.Registry, cfg.LoaderWait)
		},
		ReadLimit: maxBody,
		Now:       s.cfg.Now,
		Logger:    s.logger,
		// A browser's websocket sends its Origin: same origin, or the CORS allow-list.
		OriginPatterns: s.cfg.CORSOrigins.websocketPatterns(),
	}
}

// websocketInit authenticates a socket. Browsers cannot set headers on a
// websocket, so graphql-ws clients send the token in connection_init's
// payload; other clients may send it on the upgrade request.
func (s *Server) websocketInit(ctx context.Context, r *http.Request, payload map[string]any) (context.Context, time.Time, error) {
	auth := payloadAuthorization(payload)
	if auth == "" {
		auth = r.Header.Get("Authorization")
	}
	if auth == "" {
		return identity.NewContext(ctx, &identity.Identity{Kind: identity.Anonymous}), time.Time{}, nil
	}
	id, err := s.identityOf(ctx, auth)
	if err != nil {
		return ctx, time.Time{}, err
	}
	_, raw, _ := strings.Cut(strings.TrimSpace(auth), " ")
	claims, err := s.verifier.Verify(ctx, strings.TrimSpace(raw))
	if err != nil {
		return ctx, time.Time{}, err
	}
	return identity.NewContext(ctx, id), claims.Expiry, nil
}

// payloadAuthorization reads "Authorization" (any case) from a
// connection_init payload.
func payloadAuthorization(payload map[string]any) string {
	for k, v := range payload {
		if strings.EqualFold(k, "authorization") {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}
