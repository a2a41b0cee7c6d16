// Package graphiql serves a GraphiQL 4 page whose JavaScript and CSS are
// embedded in the binary, so the IDE works with no internet access.
package graphiql

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
)

// DefaultEndpoint is used when Handler is given an empty endpoint.
const DefaultEndpoint = "/graphql"

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// The files the page loads, in the order it loads them.
const (
	cssFile      = "graphiql.min.css"
	reactFile    = "react.production.min.js"
	reactDOMFile = "react-dom.production.min.js"
	graphiqlFile = "graphiql.min.js"
	initFile     = "init.js"
)

// Handler serves the GraphiQL page at "/" and its embedded assets under
// AssetPrefix; every other path is 404 and other methods than GET/HEAD 405.
// Mount it for both, e.g.
//
//	h := graphiql.Handler("/graphql", "/graphql")
//	mux.Handle("GET /{$}", h)
//	mux.Handle("GET "+graphiql.AssetPrefix, h)
//
// endpoint is where queries and mutations are POSTed as JSON (DefaultEndpoint
// if empty). subscriptionEndpoint is the graphql-transport-ws endpoint; a
// path or http(s) URL becomes ws(s) in the browser, and empty leaves
// subscriptions out of the page. Both may be paths (resolved against the
// page's own origin, the usual case) or absolute URLs.
func Handler(endpoint, subscriptionEndpoint string) http.Handler {
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	h, err := newHandler(endpoint, subscriptionEndpoint)
	if err != nil {
		// Only a broken build gets here (the assets are embedded); answer
		// 500 rather than take the whole gateway down for its dev IDE.
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "graphiql unavailable", http.StatusInternalServerError)
		})
	}
	return h
}

func newHandler(endpoint, subscriptionEndpoint string) (http.Handler, error) {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		return nil, fmt.Errorf("graphiql: %w", err)
	}
	assets, err := loadAssets(sub)
	if err != nil {
		return nil, err
	}
	link := func(name string) (string, error) {
		a, ok := assets[name]
		if !ok {
			return "", fmt.Errorf("graphiql: asset %s missing", name)
		}
		return a.url(name), nil
	}
	var data pageData
	data.Endpoint, data.SubscriptionEndpoint = endpoint, subscriptionEndpoint
	for _, l := range []struct {
		dst  *string
		name string
	}{
		{&data.Assets.CSS, cssFile},
		{&data.Assets.React, reactFile},
		{&data.Assets.ReactDOM, reactDOMFile},
		{&data.Assets.GraphiQL, graphiqlFile},
		{&data.Assets.Init, initFile},
	} {
		if *l.dst, err = link(l.name); err != nil {
			return nil, err
		}
	}
	var page bytes.Buffer
	if err := pageTemplate.Execute(&page, data); err != nil {
		return nil, fmt.Errorf("graphiql: render page: %w", err)
	}

	mux := http.NewServeMux()
	mux.Handle("GET /{$}", &pageHandler{
		body: page.Bytes(),
		csp:  contentSecurityPolicy(endpoint, subscriptionEndpoint),
	})
	mux.HandleFunc("GET "+AssetPrefix+"{name}", func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		a.ServeHTTP(w, r)
	})
	return mux, nil
}

type pageData struct {
	Endpoint             string
	SubscriptionEndpoint string
	Assets               struct {
		CSS, React, ReactDOM, GraphiQL, Init string
	}
}

type pageHandler struct {
	body []byte
	csp  string
}

func (p *pageHandler) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The page is tiny and names the asset versions: always revalidate it
	// so a new binary's assets are picked up at once.
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", p.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(p.body)
}

// contentSecurityPolicy lets the page load code only from its own origin,
// which also makes any accidental CDN reference fail loudly in the browser.
// GraphiQL's CSS inlines its fonts and images as data: URLs and its
// components set inline styles. CSP 'self' covers ws(s) to the page's own
// host; endpoints given as absolute URLs add their origins.
func contentSecurityPolicy(endpoint, subscriptionEndpoint string) string {
	connect := []string{"'self'"}
	for _, o := range []string{origin(endpoint, false), origin(subscriptionEndpoint, true)} {
		if o != "" {
			connect = append(connect, o)
		}
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data:",
		"font-src 'self' data:",
		"connect-src " + strings.Join(connect, " "),
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'self'",
	}, "; ")
}

// origin returns scheme://host of an absolute URL, "" for a path. For a
// websocket endpoint an http(s) scheme becomes ws(s), as init.js does.
func origin(raw string, websocket bool) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if websocket {
		switch scheme {
		case "http":
			scheme = "ws"
		case "https":
			scheme = "wss"
		}
	}
	return scheme + "://" + u.Host
}
