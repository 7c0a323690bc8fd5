#!/usr/bin/env bash
# Regenerates src/gen from /proto with buf and the protoc-gen-go / protoc-gen-go-grpc
# versions pinned in go.mod (tool directive). Deterministic: CI regenerates and
# fails on any diff.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"

cd "${root}"
npx --no-install buf generate --template examples/proto-go/buf.gen.yaml
