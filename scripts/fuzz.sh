#!/usr/bin/env bash
# Run every Go fuzz target (func FuzzXxx) of the repository, one after another, each for the
# given time. Exits non-zero if any target fails (a crasher is then written under the package's
# testdata/fuzz/<FuzzXxx>/ by `go test`) or if a package's tests do not build.
#
#   scripts/fuzz.sh [FUZZTIME] [PACKAGE...]
#
# FUZZTIME is a `go test -fuzztime` value (default 60s: a duration, or Nx for N executions).
# PACKAGE defaults to ./... ; give packages to fuzz only those.
set -uo pipefail

cd "$(dirname "$0")/.."

fuzztime="${1:-60s}"
if [ $# -gt 0 ]; then shift; fi
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then pkgs=(./...); fi

# Packages whose test files declare a fuzz target; `go test -list` then names the targets.
if ! pkginfo=$(go list -f '{{$d := .Dir}}{{range .TestGoFiles}}{{$d}}/{{.}} {{end}}{{range .XTestGoFiles}}{{$d}}/{{.}} {{end}}|{{.ImportPath}}' "${pkgs[@]}"); then
	echo "fuzz.sh: go list ${pkgs[*]} failed" >&2
	exit 1
fi
candidates=()
while IFS='|' read -r files importpath; do
	# shellcheck disable=SC2086 # $files is a list of paths without spaces
	if [ -n "$files" ] && grep -qE '^func Fuzz[A-Z0-9_]' $files; then candidates+=("$importpath"); fi
done <<<"$pkginfo"

failed=()
ran=0
for pkg in "${candidates[@]}"; do
	if ! listing=$(go test -list '^Fuzz' "$pkg" 2>&1); then
		echo "fuzz.sh: cannot list the fuzz targets of $pkg:" >&2
		echo "$listing" >&2
		failed+=("$pkg (build)")
		continue
	fi
	for target in $(grep -E '^Fuzz' <<<"$listing"); do
		echo "=== fuzz $pkg $target for $fuzztime"
		ran=$((ran + 1))
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
			failed+=("$pkg $target")
		fi
	done
done

echo "fuzz.sh: ran $ran fuzz targets for $fuzztime each"
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: FAILED:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
