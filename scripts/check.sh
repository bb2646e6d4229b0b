#!/usr/bin/env bash
# make check: fails when `go mod tidy`, `make generate`, `make completions` or `make man` would
# change a file, or when an import boundary from docs/architecture.md is broken.
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
snapshot() { git status --porcelain --untracked-files=all -- "$@" | sort; }
changed_by() {
  local what=$1; shift
  local before after
  before=$(git diff -- "$@"; snapshot "$@")
  "$what"
  after=$(git diff -- "$@"; snapshot "$@")
  if [[ "$before" != "$after" ]]; then
    echo "check: \`$what\` changed files; run it and commit the result:" >&2
    git status --short -- "$@" >&2
    fail=1
  fi
}
tidy() { go mod tidy; }
generate() { make -s generate >/dev/null; }
completions() { make -s completions >/dev/null; }
man() { make -s man >/dev/null; }
changed_by tidy go.mod go.sum
changed_by generate rpc
changed_by completions completions
changed_by man docs/man

# Import boundaries.
module=$(go list -m)
violations=$(
  go list -f '{{.ImportPath}} {{join .Imports " "}}' ./... | awk -v m="$module" '
    function bad(pkg, imp, why) { printf "  %s imports %s (%s)\n", pkg, imp, why }
    {
      pkg = $1
      for (i = 2; i <= NF; i++) {
        imp = $i
        # The planning core imports no I/O: no Mesos, ZooKeeper, gRPC, network or process packages.
        if (pkg ~ "^" m "/daemon/(plan|placement)(/|$)" && pkg !~ "/plantest") {
          if (imp ~ /^github.com\/mesos\// || imp ~ /^github.com\/go-zookeeper\// || imp ~ /^google.golang.org\/grpc/ || imp ~ /^(net|net\/http|os\/exec)$/ || imp ~ "^" m "/(zkstate|daemon/(mesos|server|engine|leader|artifacts))")
            bad(pkg, imp, "the planning core must stay pure")
        }
        # rpc depends on nothing of the project but itself.
        if (pkg ~ "^" m "/rpc(/|$)" && imp ~ "^" m "/" && imp !~ "^" m "/rpc(/|$)")
          bad(pkg, imp, "rpc imports nothing of daemon, cli or executor")
        # The CLI talks to the daemon over gRPC only.
        if (pkg ~ "^" m "/cli(/|$)" && imp ~ "^" m "/(daemon|executor|zkstate)(/|$)")
          bad(pkg, imp, "cli imports no daemon, executor or zkstate code")
        # Product code never imports the local world.
        if (pkg ~ "^" m "/(cli|daemon|executor|zkstate|rpc)(/|$)" && imp ~ "^" m "/internal/(mesossim|cassandrasim|zktest|e2e)(/|$)")
          bad(pkg, imp, "product code must not know the simulator, the stand-in or the test harness")
        # Domain packages never import gRPC.
        if (pkg ~ "^" m "/zkstate(/|$)" && imp ~ /^google.golang.org\/grpc/)
          bad(pkg, imp, "zkstate must not import gRPC")
      }
    }')
if [[ -n "$violations" ]]; then
  echo "check: import boundaries broken:" >&2
  echo "$violations" >&2
  fail=1
fi

if ((fail)); then exit 1; fi
echo "check: ok (tidy, generate, completions, man pages unchanged; import boundaries hold)"
