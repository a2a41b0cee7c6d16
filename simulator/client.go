package simulator

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/go-jose/go-jose/v4"
)

// Client is a Maskinporten client: an integration owned by an organisation,
// allowed some scopes, authenticating with pre-registered public keys.
type Client struct {
	ID        string            `json:"clientId"`
	OrgNumber string            `json:"orgNumber"`
	Name      string            `json:"name"`
	Scopes    []string          `json:"scopes"`
	Keys      []jose.JSONWebKey `json:"-"`
}

// Key returns the client's public key with the given kid.
func (c Client) Key(kid string) (jose.JSONWebKey, bool) {
	for _, k := range c.Keys {
		if k.KeyID == kid {
			return k, true
		}
	}
	return jose.JSONWebKey{}, false
}

// HasScope reports whether the client is registered for scope.
func (c Client) HasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

// ClientStore holds Maskinporten clients. Implementations must be safe for
// concurrent use; Get is on the token hot path.
type ClientStore interface {
	// Get returns ErrClientNotFound when no client has the id.
	Get(ctx context.Context, id string) (Client, error)
	List(ctx context.Context) ([]Client, error)
	// Create returns ErrClientExists when the id is taken.
	Create(ctx context.Context, c Client) error
	// Delete returns ErrClientNotFound when no client has the id.
	Delete(ctx context.Context, id string) error
	// ReplaceKeys returns ErrClientNotFound when no client has the id.
	ReplaceKeys(ctx context.Context, id string, keys []jose.JSONWebKey) error
}

var (
	ErrClientNotFound = errors.New("simulator: client not found")
	// ErrStoreUnavailable marks a store failure that may pass when retried
	// (its database is down or restarting): the token endpoint answers 503
	// temporarily_unavailable rather than 500.
	ErrStoreUnavailable = errors.New("simulator: store unavailable")
	ErrClientExists     = errors.New("simulator: client already exists")
	// ErrInvalidClient wraps every reason ValidateClient refuses a client.
	ErrInvalidClient = errors.New("simulator: invalid client")
)

// ValidateClient checks a client before it is stored and returns it with its
// keys reduced to their public parts, so a store never holds private material.
func ValidateClient(c Client) (Client, error) {
	if c.ID == "" {
		return c, fmt.Errorf("%w: client id is required", ErrInvalidClient)
	}
	if !isOrgNumber(c.OrgNumber) {
		return c, fmt.Errorf("%w: client %q: orgNumber %q is not 9 digits", ErrInvalidClient, c.ID, c.OrgNumber)
	}
	keys, err := publicKeys(c.Keys)
	if err != nil {
		return c, fmt.Errorf("client %q: %w", c.ID, err)
	}
	c.Keys = keys
	c.Scopes = slices.Clone(c.Scopes)
	return c, nil
}

func publicKeys(in []jose.JSONWebKey) ([]jose.JSONWebKey, error) {
	out := make([]jose.JSONWebKey, 0, len(in))
	seen := map[string]bool{}
	for _, k := range in {
		if k.KeyID == "" {
			return nil, fmt.Errorf("%w: every key needs a kid", ErrInvalidClient)
		}
		if seen[k.KeyID] {
			return nil, fmt.Errorf("%w: duplicate kid %q", ErrInvalidClient, k.KeyID)
		}
		seen[k.KeyID] = true
		pub := k.Public()
		if !pub.Valid() {
			return nil, fmt.Errorf("%w: key %q is not a valid asymmetric key", ErrInvalidClient, k.KeyID)
		}
		switch p := pub.Key.(type) {
		case *rsa.PublicKey:
			if p.N.BitLen() < 2048 {
				return nil, fmt.Errorf("%w: key %q: RSA keys must be at least 2048 bits", ErrInvalidClient, k.KeyID)
			}
		case *ecdsa.PublicKey:
			if p.Curve != elliptic.P256() {
				return nil, fmt.Errorf("%w: key %q: only P-256 EC keys are supported", ErrInvalidClient, k.KeyID)
			}
		default:
			return nil, fmt.Errorf("%w: key %q: unsupported key type %T", ErrInvalidClient, k.KeyID, pub.Key)
		}
		out = append(out, pub)
	}
	return out, nil
}

func isOrgNumber(s string) bool {
	if len(s) != 9 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// MemoryClientStore is a ClientStore in memory, for standalone and test use.
type MemoryClientStore struct {
	mu      sync.RWMutex
	clients map[string]Client
}

func NewMemoryClientStore() *MemoryClientStore {
	return &MemoryClientStore{clients: map[string]Client{}}
}

func (s *MemoryClientStore) Get(_ context.Context, id string) (Client, error) {
	s.mu.RLock()
	c, ok := s.clients[id]
	s.mu.RUnlock()
	if !ok {
		return Client{}, ErrClientNotFound
	}
	return c, nil
}

func (s *MemoryClientStore) List(_ context.Context) ([]Client, error) {
	s.mu.RLock()
	out := make([]Client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *MemoryClientStore) Create(_ context.Context, c Client) error {
	c, err := ValidateClient(c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[c.ID]; ok {
		return ErrClientExists
	}
	s.clients[c.ID] = c
	return nil
}

func (s *MemoryClientStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[id]; !ok {
		return ErrClientNotFound
	}
	delete(s.clients, id)
	return nil
}

func (s *MemoryClientStore) ReplaceKeys(_ context.Context, id string, keys []jose.JSONWebKey) error {
	pub, err := publicKeys(keys)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return ErrClientNotFound
	}
	// Copy-on-write: readers may still hold the old slice.
	c.Keys = pub
	s.clients[id] = c
	return nil
}
