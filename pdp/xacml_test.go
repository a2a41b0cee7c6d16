package pdp

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func xacmlSingle(subject, action, resource, party string) string {
	return `{"Request":{"ReturnPolicyIdList":true,
  "AccessSubject":[{"Attribute":[{"AttributeId":"urn:altinn:systemuser:uuid","Value":"` + subject + `","IncludeInResult":true}]}],
  "Action":[{"Attribute":[{"AttributeId":"urn:oasis:names:tc:xacml:1.0:action:action-id","Value":"` + action + `","DataType":"http://www.w3.org/2001/XMLSchema#string"}]}],
  "Resource":[{"Attribute":[{"AttributeId":"urn:altinn:resource","Value":"` + resource + `"},
    {"AttributeId":"urn:altinn:organization:identifier-no","Value":"` + party + `"}]}]}}`
}

type xacmlOut struct {
	Response []struct {
		Decision string
		Status   struct {
			StatusCode struct{ Value string }
		}
		Obligations []json.RawMessage
		Category    []struct {
			CategoryID string `json:"categoryId"`
			Attribute  []struct{ AttributeID, Value string }
		}
	} `json:"response"`
}

func TestAuthorizeXACML(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := newEngine(t, f.bdb, Options{})
	std, agent := f.standard.String(), f.agent.String()
	multi := `{"request":{"accesssubject":[{"id":"s1","attribute":[{"attributeid":"urn:altinn:systemuser:uuid","value":"` + agent + `"}]}],
  "ACTION":[{"Id":"a1","Attribute":[{"AttributeId":"urn:oasis:names:tc:xacml:1.0:action:action-id","Value":"read"}]}],
  "Resource":[{"Id":"r1","Attribute":[{"AttributeId":"urn:altinn:resource","Value":"pkg-res"},{"AttributeId":"urn:altinn:organizationnumber","Value":"` + clientOrg + `"}]},
              {"Id":"r2","Attribute":[{"AttributeId":"urn:altinn:resource","Value":"ske-krav"},{"AttributeId":"urn:altinn:organization:identifier-no","Value":"` + clientOrg + `"}]}],
  "MultiRequests":{"RequestReference":[{"ReferenceId":["s1","a1","r1"]},{"ReferenceId":["s1","a1","r2"]},{"ReferenceId":["s1","a1","zz"]}]}}}`
	cases := []struct {
		name      string
		body      string
		decisions []string
		statuses  []string
	}{
		{"OK/Single", xacmlSingle(std, "read", "ske-krav", ownerOrg), []string{"Permit"}, []string{"ok"}},
		{"DenyIsNotApplicable", xacmlSingle(std, "write", "ske-krav", ownerOrg), []string{"NotApplicable"}, []string{"ok"}},
		{"UnknownSystemUser", xacmlSingle("a545ca29-7fb8-4810-a2f2-0be171cb2a26", "read", "ske-krav", ownerOrg), []string{"NotApplicable"}, []string{"ok"}},
		{"MultiRequest", multi, []string{"Permit", "NotApplicable", "Indeterminate"}, []string{"ok", "ok", "syntax-error"}},
		{"SubjectNotUUID", xacmlSingle("nope", "read", "ske-krav", ownerOrg), []string{"Indeterminate"}, []string{"processing-error"}},
		{"TwoSubjectAttributes", strings.Replace(xacmlSingle(std, "read", "ske-krav", ownerOrg), `"IncludeInResult":true}`,
			`"IncludeInResult":true},{"AttributeId":"urn:altinn:userid","Value":"1"}`, 1), []string{"Indeterminate"}, []string{"processing-error"}},
		{"MissingParty", xacmlSingle(std, "read", "ske-krav", ""), []string{"Indeterminate"}, []string{"missing-attribute"}},
		{"NotJSON", `{"Request":`, []string{"Indeterminate"}, []string{"syntax-error"}},
		{"NoRequest", `{"foo":1}`, []string{"Indeterminate"}, []string{"syntax-error"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, err := e.AuthorizeXACML(context.Background(), []byte(c.body), callerOrg)
			if err != nil {
				t.Fatal(err)
			}
			var r xacmlOut
			if err := json.Unmarshal(out, &r); err != nil || !strings.HasPrefix(string(out), `{"response":[{"decision":`) {
				t.Fatalf("not camelCase XACML JSON: %s (%v)", out, err)
			}
			if len(r.Response) != len(c.decisions) {
				t.Fatalf("%d results, want %d: %s", len(r.Response), len(c.decisions), out)
			}
			for i, res := range r.Response {
				if res.Decision != c.decisions[i] || res.Status.StatusCode.Value != "urn:oasis:names:tc:xacml:1.0:status:"+c.statuses[i] {
					t.Errorf("result %d: %s %s, want %s %s", i, res.Decision, res.Status.StatusCode.Value, c.decisions[i], c.statuses[i])
				}
				if (len(res.Obligations) == 1) != (res.Decision == "Permit") {
					t.Errorf("result %d: obligations %s on %s", i, res.Obligations, res.Decision)
				}
			}
		})
	}
	t.Run("EchoIncludeInResult", func(t *testing.T) {
		t.Parallel()
		out, _ := e.AuthorizeXACML(context.Background(), []byte(xacmlSingle(std, "read", "ske-krav", ownerOrg)), callerOrg)
		want := `"category":[{"categoryId":"urn:oasis:names:tc:xacml:1.0:subject-category:access-subject","attribute":[{"attributeId":"urn:altinn:systemuser:uuid","value":"` + std + `"}]}]`
		if !strings.Contains(string(out), want) || !strings.Contains(string(out), `"obligations":[{"id":"urn:altinn:obligation:authenticationLevel1","attributeAssignment":[{"attributeId":"urn:altinn:obligation-assignment:1","value":"3","category":"urn:altinn:minimum-authenticationlevel","dataType":"http://www.w3.org/2001/XMLSchema#integer"}]}]`) {
			t.Fatalf("response %s lacks the echo or the obligation", out)
		}
	})
}

// FuzzXACML: no body makes parsing or formatting panic, and every answer
// is valid JSON with one result per question and no Permit the engine did
// not give.
func FuzzXACML(f *testing.F) {
	for _, s := range []string{
		xacmlSingle("a545ca29-7fb8-4810-a2f2-0be171cb2a26", "read", "kravogbetaling", "923609016"),
		`{"Request":{"AccessSubject":[{"Id":"s1","Attribute":[{"AttributeId":"urn:altinn:systemuser:uuid","Value":"47caea5b-a80b-4343-b1d3-31eb523a4e28"}]}],"Action":[{"Id":"a1","Attribute":[{"AttributeId":"urn:oasis:names:tc:xacml:1.0:action:action-id","Value":"read"}]}],"Resource":[{"Id":"r1","Attribute":[{"AttributeId":"urn:altinn:resource","Value":"ttd-externalpdp-resource1"},{"AttributeId":"urn:altinn:organization:identifier-no","Value":"910459880"}]},{"Id":"r2","Attribute":[{"AttributeId":"urn:altinn:resource","Value":"ttd-externalpdp-resource2"},{"AttributeId":"urn:altinn:organization:identifier-no","Value":"910459880"}]}],"MultiRequests":{"RequestReference":[{"ReferenceId":["s1","a1","r1"]},{"ReferenceId":["s1","a1","r2"]}]}}}`,
		`{"request":{"accessSubject":{"attribute":{"attributeId":"urn:altinn:systemuser:uuid","value":5}}}}`,
		`{"Request":null}`, `[]`, `{"Request":{"Resource":[{"Attribute":[{"AttributeId":"urn:altinn:org","Value":"ttd"},{"AttributeId":"urn:altinn:app","Value":true}]}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items := parseXACML(body, callerOrg, 50)
		results := make([]verdict, len(items))
		for i, it := range items {
			if it.fixed != nil {
				results[i] = *it.fixed
			} else {
				results[i] = verdict{result: Deny, code: NotGranted, reason: "fuzz"}
			}
		}
		out := formatXACML(items, results)
		var r xacmlOut
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("invalid JSON %s: %v", out, err)
		}
		if len(r.Response) != len(items) || len(items) == 0 {
			t.Fatalf("%d results for %d items", len(r.Response), len(items))
		}
		for _, res := range r.Response {
			if res.Decision == "Permit" {
				t.Fatalf("Permit without an engine Permit: %s", out)
			}
		}
	})
}
