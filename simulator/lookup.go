package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// SystemUserQuery is Maskinporten's question to Altinn: which system user may
// this client act as for this customer? All org numbers are bare.
type SystemUserQuery struct {
	ClientID             string
	SystemProviderOrgNo  string
	SystemUserOwnerOrgNo string
	ExternalRef          string
}

// SystemUser is Altinn's "External DTO" (ALTINN-REFERENCE §1.3).
type SystemUser struct {
	ID               string    `json:"id"`
	IntegrationTitle string    `json:"integrationTitle"`
	SystemID         string    `json:"systemId"`
	ProductName      string    `json:"productName"`
	ReporteeOrgNo    string    `json:"reporteeOrgNo"`
	Created          time.Time `json:"created"`
	IsDeleted        bool      `json:"isDeleted"`
	SupplierName     string    `json:"supplierName"`
	SupplierOrgNo    string    `json:"supplierOrgno"`
	ExternalRef      string    `json:"externalRef"`
	UserType         string    `json:"userType"`
}

// SystemUserLookup finds the system user a grant asks for.
type SystemUserLookup interface {
	// Lookup returns ErrSystemUserNotFound when there is none.
	Lookup(ctx context.Context, q SystemUserQuery) (SystemUser, error)
}

var ErrSystemUserNotFound = errors.New("simulator: system user not found")

// HTTPSystemUserLookup asks the gateway's Altinn-compatible byExternalId
// endpoint, as Maskinporten asks Altinn.
type HTTPSystemUserLookup struct {
	BaseURL string // gateway root, e.g. http://localhost:8080
	Client  *http.Client
	// Token returns the bearer token to send (scope altinn:maskinporten/systemuser.read).
	Token func(ctx context.Context) (string, error)
}

func (l *HTTPSystemUserLookup) Lookup(ctx context.Context, q SystemUserQuery) (SystemUser, error) {
	tok, err := l.Token(ctx)
	if err != nil {
		return SystemUser{}, fmt.Errorf("lookup token: %w", err)
	}
	v := url.Values{
		"clientId":             {q.ClientID},
		"systemProviderOrgNo":  {q.SystemProviderOrgNo},
		"systemUserOwnerOrgNo": {q.SystemUserOwnerOrgNo},
		"externalRef":          {q.ExternalRef},
	}
	u := strings.TrimSuffix(l.BaseURL, "/") + "/authentication/api/v1/systemuser/byExternalId?" + v.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return SystemUser{}, fmt.Errorf("lookup request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	hc := l.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return SystemUser{}, fmt.Errorf("lookup: %w", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		var su SystemUser
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&su); err != nil {
			return SystemUser{}, fmt.Errorf("lookup: decode: %w", err)
		}
		if su.ID == "" || su.IsDeleted {
			return SystemUser{}, ErrSystemUserNotFound
		}
		return su, nil
	case http.StatusNotFound:
		return SystemUser{}, ErrSystemUserNotFound
	default:
		return SystemUser{}, fmt.Errorf("lookup: gateway answered %s", resp.Status)
	}
}

// selfToken caches the simulator's own lookup token: minting one per
// system-user grant would double the signing cost of every such token.
type selfToken struct {
	issuer *Issuer
	grant  MaskinportenGrant
	now    func() time.Time

	mu  sync.Mutex
	tok Token
}

func (s *selfToken) get(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Renew while a third of the lifetime remains, so a token never expires in flight.
	if s.tok.AccessToken != "" && s.now().Add(time.Duration(s.tok.ExpiresIn)*time.Second/3).Before(s.tok.Expiry) {
		return s.tok.AccessToken, nil
	}
	t, err := s.issuer.IssueMaskinporten(ctx, s.grant)
	if err != nil {
		return "", err
	}
	s.tok = t
	return t.AccessToken, nil
}
