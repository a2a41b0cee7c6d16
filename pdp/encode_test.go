package pdp

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/uuid"
)

// The response shape as encoding/json renders it: formatXACML must write
// the same bytes.
type refResponse struct {
	Response []refResult `json:"response"`
}

type refResult struct {
	Decision    Result          `json:"decision"`
	Status      refStatus       `json:"status"`
	Obligations []refObligation `json:"obligations,omitempty"`
	Category    []xEchoCategory `json:"category,omitempty"`
}

type refStatus struct {
	StatusMessage string `json:"statusMessage,omitempty"`
	StatusCode    struct {
		Value string `json:"value"`
	} `json:"statusCode"`
}

type refObligation struct {
	ID                  string          `json:"id"`
	AttributeAssignment []refAssignment `json:"attributeAssignment"`
}

type refAssignment struct {
	AttributeID string `json:"attributeId"`
	Value       string `json:"value"`
	Category    string `json:"category"`
	DataType    string `json:"dataType"`
}

func refFormat(items []xItem, results []verdict) []byte {
	resp := refResponse{Response: make([]refResult, len(items))}
	for i, v := range results {
		out := &resp.Response[i]
		out.Decision = v.result
		if v.result != Permit && v.result != Indeterminate {
			out.Decision = NotApplicable
		}
		out.Category = items[i].echo
		switch {
		case v.result != Indeterminate:
			out.Status.StatusCode.Value = statusOK
		case v.code == MissingAttribute:
			out.Status.StatusCode.Value = statusMissing
		case v.code == SyntaxError:
			out.Status.StatusCode.Value = statusSyntax
		default:
			out.Status.StatusCode.Value = statusProcessing
		}
		if v.result == Indeterminate {
			out.Status.StatusMessage = v.reason
		}
		if v.result == Permit {
			out.Obligations = []refObligation{{ID: "urn:altinn:obligation:authenticationLevel1",
				AttributeAssignment: []refAssignment{{AttributeID: "urn:altinn:obligation-assignment:1", Value: minAuthLevel,
					Category: "urn:altinn:minimum-authenticationlevel", DataType: "http://www.w3.org/2001/XMLSchema#integer"}}}}
		}
	}
	b, err := json.Marshal(resp)
	if err != nil {
		panic(err)
	}
	return b
}

func TestFormatXACMLMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	nasty := "a\"b\\c\n\r\t\b\f\x00\x1f<>&\u2028\u2029æøå\xff\xfe end"
	echo := []xEchoCategory{{CategoryID: catAccessSubject, Attribute: []xEchoValue{
		{AttributeID: attrSystemUser, Value: nasty, DataType: "string"}, {AttributeID: nasty, Value: ""}}},
		{CategoryID: catResource, Attribute: []xEchoValue{{AttributeID: attrResource, Value: "r"}}}}
	cases := []struct {
		name    string
		items   []xItem
		results []verdict
	}{
		{"Permit", []xItem{{}}, []verdict{{result: Permit, code: PermitRight, reason: "ok"}}},
		{"DenyWithEcho", []xItem{{echo: echo}}, []verdict{{result: Deny, code: NotGranted, reason: nasty}}},
		{"IndeterminateKinds", []xItem{{}, {}, {}, {echo: echo}}, []verdict{
			{result: Indeterminate, code: MissingAttribute, reason: "missing"},
			{result: Indeterminate, code: SyntaxError, reason: nasty},
			{result: Indeterminate, code: ProcessingError},
			{result: NotApplicable, code: ResourceNotFound, reason: "x"},
		}},
		{"Empty", []xItem{}, []verdict{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, want := formatXACML(c.items, c.results), refFormat(c.items, c.results)
			if string(got) != string(want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// Text that COPY's format must escape, and that text columns cannot hold,
// comes back from the decision log as written (NUL and invalid UTF-8 as
// U+FFFD).
func TestDecisionLogCopyEscapes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := newEngine(t, f.bdb, Options{})
	ctx := context.Background()
	party := "tab\there\\back\nnew\rret\x00nul\xffbad æøå \\N"
	d, err := e.Authorize(ctx, Request{SystemUserID: f.standard, ResourceID: "ske-krav", Action: "read", PartyOrg: party, CallerOrg: callerOrg})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var got struct {
		PartyOrg, Reason, PermittedBy *string
		SystemUserID                  uuid.UUID
		LatencyUS                     int64
	}
	if err := f.bdb.NewRaw("SELECT party_org, reason, permitted_by, system_user_id, latency_us FROM decisions WHERE id = ?", d.ID).
		Scan(ctx, &got.PartyOrg, &got.Reason, &got.PermittedBy, &got.SystemUserID, &got.LatencyUS); err != nil {
		t.Fatal(err)
	}
	want := "tab\there\\back\nnew\rret\uFFFDnul\uFFFDbad æøå \\N"
	if got.PartyOrg == nil || *got.PartyOrg != want {
		t.Errorf("party_org %q, want %q", deref(got.PartyOrg), want)
	}
	if got.PermittedBy != nil {
		t.Errorf("permitted_by %q, want NULL for a Deny", *got.PermittedBy)
	}
	if got.SystemUserID != f.standard || got.Reason == nil || *got.Reason == "" || got.LatencyUS != d.Latency.Microseconds() {
		t.Errorf("row %+v does not match decision %+v", got, d)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// decodeXACML's one-pass shape must read every body as the general path
// does; bodies it cannot take must still decode.
func TestDecodeXACMLMatchesGeneralPath(t *testing.T) {
	t.Parallel()
	id := uuid.New().String()
	cases := map[string]string{
		"Arrays":        xacmlSingle(id, "read", "ske-krav", ownerOrg),
		"Objects":       `{"Request":{"AccessSubject":{"Attribute":{"AttributeId":"urn:altinn:systemuser:uuid","Value":"` + id + `"}}}}`,
		"NumberValue":   `{"request":{"resource":[{"attribute":[{"attributeid":"urn:altinn:organization:identifier-no","value":310000000}]}]}}`,
		"BoolValue":     `{"Request":{"Resource":[{"Attribute":[{"AttributeId":"urn:altinn:app","Value":true,"IncludeInResult":true}]}]}}`,
		"EscapesAndBad": "{\"Request\":{\"Action\":[{\"Id\":\"a\\u00e6\",\"Attribute\":[{\"AttributeId\":\"x\\\"y\",\"Value\":\"\xff\\n\"}]}]}}",
		"NullsAndEmpty": `{"Request":{"AccessSubject":null,"Action":[],"Resource":[{"Attribute":null}],"MultiRequests":{"RequestReference":[{"ReferenceId":["a","b"]}]}}}`,
		"MixedCase":     `{"REQUEST":{"accesssubject":[{"ID":"s","ATTRIBUTE":[{"ATTRIBUTEID":"a","VALUE":"v","DATATYPE":"d","INCLUDEINRESULT":true}]}]}}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeXACML([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			var want xBody
			if err := json.Unmarshal([]byte(body), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want.Request) {
				t.Fatalf("got  %+v\nwant %+v", got, want.Request)
			}
		})
	}
}

// scanXACML takes the usual bodies itself, and leaves the ones whose
// reading needs encoding/json's rules to it.
func TestScanXACMLTakesTheUsualBodies(t *testing.T) {
	t.Parallel()
	id := uuid.New().String()
	cases := []struct {
		name, body string
		taken      bool
	}{
		{"Arrays", xacmlSingle(id, "read", "ske-krav", ownerOrg), true},
		{"Objects", `{"Request":{"AccessSubject":{"Attribute":{"AttributeId":"urn:altinn:systemuser:uuid","Value":"` + id + `"}}}}`, true},
		{"BoolValue", `{"Request":{"Resource":[{"Attribute":[{"AttributeId":"urn:altinn:app","Value":true,"IncludeInResult":true}]}]}}`, true},
		{"MixedCase", `{"REQUEST":{"accesssubject":[{"ID":"s","ATTRIBUTE":[{"ATTRIBUTEID":"a","VALUE":"v","DATATYPE":"d","INCLUDEINRESULT":true}]}]}}`, true},
		{"UnknownMembers", `{"Request":{"ReturnPolicyIdList":false,"X":[1,-2.5e3,{"a":"\u00e6\n"},null]},"Y":true}`, true},
		{"EmptyLists", `{"Request":{"AccessSubject":[],"Action":[{"Attribute":[]}],"MultiRequests":{"RequestReference":[]}}}`, true},
		{"ManyCategories", `{"Request":{"Resource":[{"Id":"1","Attribute":[{"AttributeId":"a","Value":"1"},{"AttributeId":"b","Value":"2"},{"AttributeId":"c","Value":"3"},{"AttributeId":"d","Value":"4"},{"AttributeId":"e","Value":"5"},{"AttributeId":"f","Value":"6"},{"AttributeId":"g","Value":"7"},{"AttributeId":"h","Value":"8"},{"AttributeId":"i","Value":"9"}]},{"Id":"2"},{"Id":"3"},{"Id":"4"},{"Id":"5"},{"Id":"6"}],"Action":[{"Id":"7","Attribute":[{"AttributeId":"x","Value":"y"}]}]}}`, true},
		{"NumberValue", `{"request":{"resource":[{"attribute":[{"attributeid":"urn:altinn:organization:identifier-no","value":310000000}]}]}}`, false},
		{"Escapes", `{"Request":{"Action":[{"Id":"a\u00e6"}]}}`, false},
		{"InvalidUTF8", "{\"Request\":{\"Action\":[{\"Id\":\"\xff\"}]}}", false},
		{"Null", `{"Request":{"AccessSubject":null}}`, false},
		{"Repeated", `{"Request":{"Action":[],"action":[]}}`, false},
		{"NonASCIIKey", `{"Requeſt":{}}`, false},
		{"Trailing", `{"Request":{}} x`, false},
		{"BadNumber", `{"Request":{"X":01}}`, false},
		{"NoRequest", `{}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := scanXACML([]byte(tc.body))
			if ok != tc.taken {
				t.Fatalf("scanXACML took it: %v, want %v", ok, tc.taken)
			}
			var want xBody
			if ok && (json.Unmarshal([]byte(tc.body), &want) != nil || !reflect.DeepEqual(got, want.Request)) {
				t.Fatalf("scan %+v\njson %+v", got, want.Request)
			}
		})
	}
}

// FuzzScanXACML holds every body scanXACML takes to encoding/json's
// reading of it: the one-pass scan must never change what a body means.
func FuzzScanXACML(f *testing.F) {
	f.Add([]byte(xacmlSingle(uuid.New().String(), "read", "ske-krav", ownerOrg)))
	f.Add([]byte(`{"Request":{"AccessSubject":{"Attribute":{"AttributeId":"a","Value":true}},"MultiRequests":{"RequestReference":[{"ReferenceId":["s","a","r"]}]}}}`))
	f.Add([]byte(`{"request":{"X":[1,-2.5e3,{"a":"\u00e6\n"},null]},"Y":true}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := scanXACML(body)
		if !ok {
			return
		}
		var want xBody
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("scanXACML took %q, which encoding/json refuses: %v", body, err)
		}
		if !reflect.DeepEqual(got, want.Request) {
			t.Fatalf("%q:\nscan %+v\njson %+v", body, got, want.Request)
		}
	})
}
