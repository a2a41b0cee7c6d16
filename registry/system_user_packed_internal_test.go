package registry

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestUnpackSystemUser(t *testing.T) {
	t.Parallel()
	const id = "0b6f1c1e-4c1a-4a57-9a0e-1d5c2f1a7b10"
	const at = "2026-12-01 06:17:24.301678+00"
	created := time.Date(2026, 12, 1, 6, 17, 24, 301678000, time.UTC)
	tests := []struct {
		name, packed string
		want         systemUserRow // ID and CreatedAt left out: id and created whenever want is
		bad          bool
	}{
		{name: "plain", packed: id + "9:9918258274:Løn2:428:standard" + at,
			want: systemUserRow{OwnerOrg: "991825827", IntegrationTitle: "Løn", ExternalRef: "42", UserType: "standard"}},
		{name: "lengths in bytes", packed: id + "0:5:Lønn0:5:agent" + at,
			want: systemUserRow{IntegrationTitle: "Lønn", UserType: "agent"}},
		{name: "colons and digits inside", packed: id + "3:1:24:12:31:19:1standard" + at,
			want: systemUserRow{OwnerOrg: "1:2", IntegrationTitle: "12:3", ExternalRef: "1", UserType: "1standard"}},
		{name: "short", packed: id[:20], bad: true},
		{name: "not an id", packed: "x" + id[1:] + "0:0:0:8:standard" + at, bad: true},
		{name: "no length", packed: id + "standard" + at, bad: true},
		{name: "not a time", packed: id + "0:0:0:8:standardnever", bad: true},
		{name: "length past the end", packed: id + "9:99", bad: true},
		{name: "negative length", packed: id + "-1:0:0:8:standard" + at, bad: true},
		{name: "a length that is not a number", packed: id + "x:0:0:8:standard" + at, bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got systemUserRow
			err := unpackSystemUser(tc.packed, &got)
			if tc.bad {
				if !errors.Is(err, errPacked) {
					t.Fatalf("unpack(%q) = %v, want errPacked", tc.packed, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.want.ID, tc.want.CreatedAt = uuid.MustParse(id), created
			if got != tc.want {
				t.Fatalf("unpack(%q) = %+v, want %+v", tc.packed, got, tc.want)
			}
		})
	}
}
