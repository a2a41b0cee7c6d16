package registry_test

import (
	"slices"
	"testing"

	"github.com/systemuser-gateway/systemuser/registry"
)

// Altinn compares scheme, host and .NET's AbsolutePath, which is "/" for a
// URL without a path.
func TestRedirectURLWithoutPath(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := vendorOrg + "_bare"
	f.MustSystem(id, vendorOrg, true, []registry.Right{{Resource: "ske-krav"}}, nil, nil, []string{"https://vg.no"})
	for i, tt := range []struct {
		url    string
		reason string
	}{
		{"https://vg.no", ""},
		{"https://vg.no/", ""},
		{"https://vg.no/?state=1", ""},
		{"https://vg.no/other", "REDIRECT_URL_NOT_ALLOWED"},
	} {
		in := registry.RequestInput{SystemID: id, PartyOrg: customerOrg, ExternalRef: string(rune('a' + i)),
			Rights: []registry.Right{{Resource: "ske-krav"}}, RedirectURL: tt.url}
		_, _, err := f.svc.CreateRequest(vendorCtx(vendorOrg), in)
		if (tt.reason == "" && err != nil) || (tt.reason != "" && !slices.Equal(reasons(err), []string{tt.reason})) {
			t.Errorf("%s: err = %v, want %q", tt.url, err, tt.reason)
		}
	}
}
