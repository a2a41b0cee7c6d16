package simulator

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// KeyOptions configures a KeySet.
type KeyOptions struct {
	// Path of the JSON file holding the key set; empty keeps keys in memory
	// only (tests). Persisting lets tokens outlive a simulator restart.
	Path string
	// Algorithm is RS256 (default) or ES256.
	Algorithm jose.SignatureAlgorithm
	Now       func() time.Time
	Rand      io.Reader
}

// KeySet holds the simulator's signing keys: one current key and retired
// public keys that stay published until tokens signed with them have expired.
type KeySet struct {
	mu      sync.RWMutex
	opts    KeyOptions
	current *signingKey
	retired []retiredKey
}

type signingKey struct {
	jwk    jose.JSONWebKey // private
	signer jose.Signer
}

type retiredKey struct {
	Key   jose.JSONWebKey `json:"key"` // public only
	Until time.Time       `json:"until"`
}

type keyFile struct {
	Current jose.JSONWebKey `json:"current"`
	Retired []retiredKey    `json:"retired,omitempty"`
}

// NewKeySet loads the key set from opts.Path, or creates (and persists) a new
// one when the file does not exist.
func NewKeySet(opts KeyOptions) (*KeySet, error) {
	if opts.Algorithm == "" {
		opts.Algorithm = jose.RS256
	}
	if opts.Algorithm != jose.RS256 && opts.Algorithm != jose.ES256 {
		return nil, fmt.Errorf("simulator: signing algorithm %s not supported (RS256 or ES256)", opts.Algorithm)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	ks := &KeySet{opts: opts}
	if opts.Path != "" {
		err := ks.load()
		if err == nil {
			return ks, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	k, err := GenerateKey(opts.Algorithm, opts.Rand)
	if err != nil {
		return nil, err
	}
	if err := ks.install(k, nil); err != nil {
		return nil, err
	}
	return ks, ks.save()
}

// GenerateKey makes a private JWK (kid = RFC 7638 thumbprint, use "sig", alg
// set). RS256 keys are 2048-bit RSA, ES256 keys P-256. rand may be nil.
func GenerateKey(alg jose.SignatureAlgorithm, random io.Reader) (jose.JSONWebKey, error) {
	if random == nil {
		random = rand.Reader
	}
	var key any
	var err error
	switch alg {
	case jose.RS256, jose.RS384, jose.RS512:
		key, err = rsa.GenerateKey(random, 2048)
	case jose.ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), random)
	default:
		return jose.JSONWebKey{}, fmt.Errorf("simulator: cannot generate a key for %s", alg)
	}
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("simulator: generate key: %w", err)
	}
	jwk := jose.JSONWebKey{Key: key, Algorithm: string(alg), Use: "sig"}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("simulator: thumbprint: %w", err)
	}
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	return jwk, nil
}

func newSigningKey(jwk jose.JSONWebKey) (*signingKey, error) {
	if jwk.IsPublic() || !jwk.Valid() {
		return nil, errors.New("simulator: signing key must be a valid private key")
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(jwk.Algorithm), Key: jwk}, nil)
	if err != nil {
		return nil, fmt.Errorf("simulator: signer: %w", err)
	}
	return &signingKey{jwk: jwk, signer: s}, nil
}

func (ks *KeySet) install(current jose.JSONWebKey, retired []retiredKey) error {
	sk, err := newSigningKey(current)
	if err != nil {
		return err
	}
	ks.current = sk
	ks.retired = retired
	return nil
}

func (ks *KeySet) load() error {
	b, err := os.ReadFile(ks.opts.Path)
	if err != nil {
		return err
	}
	var f keyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("simulator: key file %s: %w", ks.opts.Path, err)
	}
	if jose.SignatureAlgorithm(f.Current.Algorithm) != ks.opts.Algorithm {
		return fmt.Errorf("simulator: key file %s holds a %s key, configured %s", ks.opts.Path, f.Current.Algorithm, ks.opts.Algorithm)
	}
	return ks.install(f.Current, f.Retired)
}

// save writes atomically so a crash never leaves a half-written key file.
func (ks *KeySet) save() error {
	if ks.opts.Path == "" {
		return nil
	}
	b, err := json.MarshalIndent(keyFile{Current: ks.current.jwk, Retired: ks.retired}, "", "  ")
	if err != nil {
		return fmt.Errorf("simulator: encode key file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(ks.opts.Path), 0o700); err != nil {
		return fmt.Errorf("simulator: key dir: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(ks.opts.Path), ".keys-*.json")
	if err != nil {
		return fmt.Errorf("simulator: key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("simulator: write key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("simulator: write key file: %w", err)
	}
	if err := os.Rename(tmp.Name(), ks.opts.Path); err != nil {
		return fmt.Errorf("simulator: write key file: %w", err)
	}
	return nil
}

// Rotate makes a new current key. The old public key stays in the JWKS for
// keep (the longest lifetime of a token it signed, plus clock leeway).
func (ks *KeySet) Rotate(keep time.Duration) error { return ks.RotateAt(ks.opts.Now(), keep) }

// RotateAt is Rotate on a clock other than the key set's own (the
// simulator's, which the control API may have moved).
func (ks *KeySet) RotateAt(now time.Time, keep time.Duration) error {
	k, err := GenerateKey(ks.opts.Algorithm, ks.opts.Rand)
	if err != nil {
		return err
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	retired := []retiredKey{{Key: ks.current.jwk.Public(), Until: now.Add(keep)}}
	for _, r := range ks.retired {
		if r.Until.After(now) {
			retired = append(retired, r)
		}
	}
	old, oldRetired := ks.current, ks.retired
	if err := ks.install(k, retired); err != nil {
		return err
	}
	if err := ks.save(); err != nil {
		ks.current, ks.retired = old, oldRetired
		return err
	}
	return nil
}

// DropRetired unpublishes every retired key at once: tokens they signed
// stop verifying, as after a key compromise.
func (ks *KeySet) DropRetired() error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	old := ks.retired
	ks.retired = nil
	if err := ks.save(); err != nil {
		ks.retired = old
		return err
	}
	return nil
}

// Retired lists the retired keys' ids and when they leave the JWKS.
func (ks *KeySet) Retired(now time.Time) (current string, retired map[string]time.Time) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	retired = map[string]time.Time{}
	for _, r := range ks.retired {
		if r.Until.After(now) {
			retired[r.Key.KeyID] = r.Until
		}
	}
	return ks.current.jwk.KeyID, retired
}

// PublicJWKS is the published key set: the current key and every retired key
// whose tokens may still be valid. Only public members are included.
func (ks *KeySet) PublicJWKS() jose.JSONWebKeySet { return ks.PublicJWKSAt(ks.opts.Now()) }

// PublicJWKSAt is PublicJWKS on another clock (see RotateAt).
func (ks *KeySet) PublicJWKSAt(now time.Time) jose.JSONWebKeySet {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{ks.current.jwk.Public()}}
	for _, r := range ks.retired {
		if r.Until.After(now) {
			set.Keys = append(set.Keys, r.Key)
		}
	}
	return set
}

// Algorithm is the algorithm every token is signed with.
func (ks *KeySet) Algorithm() jose.SignatureAlgorithm { return ks.opts.Algorithm }

func (ks *KeySet) signer() jose.Signer {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.current.signer
}
