package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// TestAudiencePolicy: a token is accepted only when it was minted for this
// gateway: Maskinporten's "unspecified", the simulator's person audience, or
// a configured one. A token for another named API is refused, so a token
// obtained for another resource cannot be replayed here; a person's token
// must also carry the portal scope.
func TestAudiencePolicy(t *testing.T) {
	t.Parallel()
	r := newVerifierRig(t)
	r.verifier.AcceptAudiences("https://gateway.example.com/")
	vendor := func(aud ...string) string {
		tok, err := r.issuer.IssueMaskinporten(context.Background(), simulator.MaskinportenGrant{
			ClientID: "c", ConsumerOrg: "991825827", Scopes: []string{"a:b"}, Audience: aud})
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	person, err := r.issuer.IssuePerson(context.Background(), simulator.Person{PID: "02056260016", Name: "Kari"})
	if err != nil {
		t.Fatal(err)
	}
	otherApp, err := simulator.NewIssuer(r.keys, simulator.IssuerOptions{Issuer: testIssuer, Now: r.clock, PersonAudience: "another-app"}).
		IssuePerson(context.Background(), simulator.Person{PID: "02056260016", Name: "Kari"})
	if err != nil {
		t.Fatal(err)
	}
	noAud := r.signES(t, []byte(`{"alg":"ES256","kid":"`+fuzzKid+`"}`),
		[]byte(`{"iss":"`+testIssuer+`","exp":1800000060,"iat":1800000000,"consumer":{"ID":"0192:991825827"}}`))
	personPayload := func(scope string) []byte {
		return []byte(`{"iss":"` + testIssuer + `","exp":1800000060,"iat":1800000000,"aud":"systemuser-gateway","pid":"02056260016","scope":"` + scope + `"}`)
	}
	hdr := []byte(`{"alg":"ES256","kid":"` + fuzzKid + `"}`)
	for _, tc := range []struct {
		name, token string
		want        error
	}{
		{"OK/Unspecified", vendor(), nil},
		{"OK/Configured", vendor("https://gateway.example.com/"), nil},
		{"OK/OneOfSeveral", vendor("https://other-api.example.com/", "https://gateway.example.com/"), nil},
		{"OK/PersonLogin", person.AccessToken, nil},
		{"ErrForeignAudience/Vendor", vendor("https://other-api.example.com/"), auth.ErrForeignAudience},
		{"ErrForeignAudience/Person", otherApp.AccessToken, auth.ErrForeignAudience},
		{"ErrForeignAudience/None", noAud, auth.ErrForeignAudience},
		{"OK/PersonWithPortalScope", r.signES(t, hdr, personPayload("openid altinn:portal/enduser")), nil},
		{"ErrNotPortalToken", r.signES(t, hdr, personPayload("openid profile")), auth.ErrNotPortalToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.verifier.Verify(context.Background(), tc.token)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
