#!/bin/sh
# Reproduces gateway/graphiql/assets/ from the npm registry with pinned versions.
#
# GraphiQL 4.x is the last major line with a browser (UMD) bundle that runs from a
# plain <script> tag; React 18 is the last React with UMD builds. The copied files
# are byte-identical to the npm tarballs and are checked against assets/SHA256SUMS,
# which the Go tests check against the embedded copies too.
#
# Usage: gateway/graphiql/fetch-assets.sh   (needs npm, tar, sha256sum)
set -eu

GRAPHIQL_VERSION=4.1.2
REACT_VERSION=18.3.1

here=$(cd "$(dirname "$0")" && pwd)
dest="$here/assets"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cd "$tmp"
# npm pack checks each tarball against the registry's integrity hash.
npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION" >/dev/null
for pkg in "graphiql-$GRAPHIQL_VERSION" "react-$REACT_VERSION" "react-dom-$REACT_VERSION"; do
	mkdir "${pkg%-*}"
	tar -xzf "$pkg.tgz" -C "${pkg%-*}"
done

mkdir -p "$dest"
cp graphiql/package/graphiql.min.js "$dest/graphiql.min.js"
cp graphiql/package/graphiql.min.css "$dest/graphiql.min.css"
cp graphiql/package/LICENSE "$dest/LICENSE-graphiql.txt"
cp react/package/umd/react.production.min.js "$dest/react.production.min.js"
cp react/package/LICENSE "$dest/LICENSE-react.txt"
cp react-dom/package/umd/react-dom.production.min.js "$dest/react-dom.production.min.js"
cp react-dom/package/LICENSE "$dest/LICENSE-react-dom.txt"

cd "$dest"
sha256sum -c --quiet SHA256SUMS
echo "assets match SHA256SUMS (graphiql $GRAPHIQL_VERSION, react $REACT_VERSION)"
