#!/usr/bin/env bash
# Fails when gqlgen's output is not what `make generate` would write, without
# depending on git state: hash graph/ and resolvers/, regenerate, compare.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
hash_tree() { find graph resolvers -type f -name '*.go' -print0 | sort -z | xargs -0 sha256sum; }
before=$(hash_tree)
go run ./cmd/graphgen
after=$(hash_tree)
if [[ "$before" != "$after" ]]; then
	echo "generated code was stale; 'make generate' changed:" >&2
	diff <(echo "$before") <(echo "$after") >&2 || true
	exit 1
fi
echo "generated code is current"
