package rest

import "testing"

func TestOldAppFormat(t *testing.T) {
	t.Parallel()
	got := oldAppFormat([]attributePair{{ID: attrResource, Value: "app_ttd_my_app"}})
	want := []attributePair{{ID: attrOrg, Value: "ttd"}, {ID: attrApp, Value: "my_app"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("app resource = %+v, want %+v", got, want)
	}
	if got := oldAppFormat([]attributePair{{ID: attrResource, Value: "ske-mva"}}); len(got) != 1 || got[0].Value != "ske-mva" {
		t.Errorf("plain resource = %+v", got)
	}
}
