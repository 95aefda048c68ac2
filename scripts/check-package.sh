#!/usr/bin/env bash
# Packaging gates: build, pack the tarball a user would install, and check that tarball with
# publint (package.json fields against the files really shipped) and are-the-types-wrong (what
# TypeScript resolves for each entry point). Both read the local tarball only: no network.
#
# Usage: scripts/check-package.sh   (from anywhere in the repository)
set -euo pipefail
cd "$(dirname "$0")/.."

npm run build
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npm pack --silent --pack-destination "$out" >/dev/null
tarball=$(find "$out" -maxdepth 1 -name '*.tgz' -print -quit)

# --strict: a warning (a field pointing at a missing file, a wrong "types" order...) fails too.
npx --no-install publint run "$tarball" --strict
# esm-only: the package has no CommonJS entry on purpose (ESM only, Node >= 20.19, whose
# require(esm) loads it), so resolution under node10 and from CommonJS is not checked.
# --no-definitely-typed: do not look @types packages up on the registry.
npx --no-install attw "$tarball" --profile esm-only --no-definitely-typed
