#!/usr/bin/env bash
# Run every Go fuzz target (func FuzzXxx) of the repository, one after another, each for the
# given time. Exits non-zero if any target fails (a crasher is then written under the package's
# testdata/fuzz/<FuzzXxx>/ by `go test`) or if a package's tests do not build.
#
#   scripts/fuzz.sh [FUZZTIME] [PACKAGE...]
#
# FUZZTIME is a `go test -fuzztime` value (default 10m: a duration, or Nx for N executions).
# PACKAGE defaults to ./... ; give packages to fuzz only those. The targets of each package are
# what `go test -list 'Fuzz.*'` names, so a new fuzzer is included without editing this script.
# One target runs at a time; FUZZPARALLEL (default: go test's, GOMAXPROCS) sets its workers.
# A crasher is kept under <package>/testdata/fuzz/<FuzzXxx>/, where plain `go test` runs it.
set -uo pipefail

cd "$(dirname "$0")/.."

fuzztime="${1:-10m}"
parallel=()
if [ -n "${FUZZPARALLEL:-}" ]; then parallel=(-parallel "$FUZZPARALLEL"); fi
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
summary=()
ran=0
for pkg in "${candidates[@]}"; do
	if ! listing=$(go test -list 'Fuzz.*' "$pkg" 2>&1); then
		echo "fuzz.sh: cannot list the fuzz targets of $pkg:" >&2
		echo "$listing" >&2
		failed+=("$pkg (build)")
		continue
	fi
	for target in $(grep -E '^Fuzz' <<<"$listing"); do
		echo "=== fuzz $pkg $target for $fuzztime"
		ran=$((ran + 1))
		start=$SECONDS
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "${parallel[@]}" "$pkg"; then
			failed+=("$pkg $target")
		fi
		summary+=("$(printf '%-50s %-28s %5ds' "$pkg" "$target" $((SECONDS - start)))")
	done
done

echo "fuzz.sh: ran $ran fuzz targets for $fuzztime each:"
if [ ${#summary[@]} -gt 0 ]; then printf '  %s\n' "${summary[@]}"; fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: FAILED:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
