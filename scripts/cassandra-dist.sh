#!/usr/bin/env bash
# Assembles bin/apache-cassandra-<version>-bin.tar.gz, laid out like Apache's binary tarball:
#   apache-cassandra-<version>/lib/   cassandra-all and its runtime dependencies, resolved from Maven
#                                     Central by internal/cassandradist/pom.xml (version pinned there)
#                                     and checked against internal/cassandradist/lib.sha256
#   apache-cassandra-<version>/bin/   cassandra, nodetool, cassandra.in.sh (ours)
#   apache-cassandra-<version>/conf/  cassandra.yaml, cassandra-env.sh, jvm*-options, logback (ours)
# The jars are resolved once into Maven's local repository (~/.m2) and the tarball is rebuilt only
# when an input changes. UPDATE_CHECKSUMS=1 rewrites lib.sha256 after a deliberate version change.
set -euo pipefail
cd "$(dirname "$0")/.."
src=internal/cassandradist
version=$(sed -n 's:.*<cassandra.version>\(.*\)</cassandra.version>.*:\1:p' "$src/pom.xml")
name="apache-cassandra-$version"
out="bin/$name-bin.tar.gz"
stamp="bin/.$name.stamp"

hash_inputs() { (cd "$src" && find pom.xml dist -type f -print0 | sort -z | xargs -0 sha256sum && cat lib.sha256 2>/dev/null || true) | sha256sum | cut -d' ' -f1; }
inputs_hash=$(hash_inputs)
if [[ -f "$out" && -f "$stamp" && "$(cat "$stamp")" == "$inputs_hash" ]]; then
  echo "cassandra-dist: $out is up to date"
  exit 0
fi
command -v mvn >/dev/null || { echo "cassandra-dist: Maven (mvn) is not installed: run \`make deps\`" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
mkdir -p "$root/lib" "$root/logs" "$root/data"
echo "cassandra-dist: resolving org.apache.cassandra:cassandra-all:$version and its dependencies"
if ! mvn -B -q -Dstyle.color=never -f "$src/pom.xml" package -Ddist.lib="$root/lib" \
  -Dmaven.repo.local="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}" >"$stage/mvn.log" 2>&1; then
  cat "$stage/mvn.log" >&2
  echo "cassandra-dist: Maven could not resolve org.apache.cassandra:cassandra-all:$version (log above)" >&2
  exit 1
fi
rm -rf "$src/target"

(cd "$root/lib" && sha256sum -- *.jar | sort -k2) > "$stage/lib.sha256"
if [[ "${UPDATE_CHECKSUMS:-}" == 1 || ! -f "$src/lib.sha256" ]]; then
  cp "$stage/lib.sha256" "$src/lib.sha256"
  echo "cassandra-dist: wrote $src/lib.sha256 ($(wc -l < "$src/lib.sha256") jars)"
  inputs_hash=$(hash_inputs)
elif ! diff -u "$src/lib.sha256" "$stage/lib.sha256" >&2; then
  echo "cassandra-dist: the resolved jars differ from $src/lib.sha256 (above); refusing to build" >&2
  exit 1
fi

cp -R "$src/dist/bin" "$src/dist/conf" "$root/"
chmod 0755 "$root/bin/cassandra" "$root/bin/nodetool"
echo "$version" > "$root/VERSION.txt"
mkdir -p bin
tar --sort=name --mtime='2020-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner \
  -C "$stage" -czf "$out.tmp" "$name"
mv "$out.tmp" "$out"
echo "$inputs_hash" > "$stamp"
echo "cassandra-dist: built $out ($(du -h "$out" | cut -f1))"
