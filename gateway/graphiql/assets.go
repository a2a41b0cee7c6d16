package graphiql

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"time"
)

// AssetPrefix is the URL path under which Handler serves the embedded
// JavaScript, CSS and licence files. The page refers to its assets by this
// absolute path, so the handler must see it unchanged (no http.StripPrefix).
const AssetPrefix = "/graphiql/assets/"

// The vendored files are byte-identical to the npm tarballs (see
// fetch-assets.sh and assets/SHA256SUMS); init.js is ours.
//
//go:embed assets
var embedded embed.FS

// asset is one servable file, read and hashed once per Handler.
type asset struct {
	body        []byte
	contentType string
	// version is a prefix of the content hash. The page links assets as
	// name?v=version, so a URL names exactly one content and may be cached
	// forever; a newer binary links new URLs.
	version string
	etag    string
}

// assetContentType returns the type to serve a file with, or "" for files
// that are kept beside the assets but not served (README.md, SHA256SUMS).
// A fixed table, not mime.TypeByExtension, because the latter reads the
// host's /etc/mime.types and would make the answer depend on the machine.
func assetContentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".txt":
		return "text/plain; charset=utf-8"
	default:
		return ""
	}
}

// loadAssets reads every servable file in the root of fsys.
func loadAssets(fsys fs.FS) (map[string]*asset, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("graphiql: list assets: %w", err)
	}
	assets := make(map[string]*asset, len(entries))
	for _, e := range entries {
		ct := assetContentType(e.Name())
		if e.IsDir() || ct == "" {
			continue
		}
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("graphiql: read asset %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(body)
		version := hex.EncodeToString(sum[:6])
		assets[e.Name()] = &asset{
			body:        body,
			contentType: ct,
			version:     version,
			etag:        `"` + version + `"`,
		}
	}
	return assets, nil
}

// url is the versioned path the page links the asset by.
func (a *asset) url(name string) string {
	return AssetPrefix + name + "?v=" + a.version
}

func (a *asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", a.etag)
	if r.URL.Query().Get("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// An unversioned or stale link must not pin today's content forever.
		h.Set("Cache-Control", "no-cache")
	}
	// ServeContent answers If-None-Match (via the ETag above), Range and HEAD.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
