package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthCommand(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	cases := []struct {
		args []string
		want string // "" means success
	}{
		{[]string{srv.URL + "/readyz"}, ""},
		{[]string{srv.URL + "/readyz", srv.URL + "/down"}, "503"},
		{[]string{"--timeout", "2s", srv.URL}, ""},
		{[]string{"localhost:8080/readyz"}, "absolute http"},
		{nil, "at least one URL"},
	}
	for _, tc := range cases {
		err := run(context.Background(), append([]string{"health"}, tc.args...), io.Discard, io.Discard)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("health %v: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("health %v: got %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}
