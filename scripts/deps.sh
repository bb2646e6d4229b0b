#!/usr/bin/env bash
# Installs what cassmesos needs on a bare Debian machine, from Debian's packages: ZooKeeper (tests
# and the demo start their own server from it), Java 17 (ZooKeeper and real Cassandra 5.0), Maven
# and Chromium (the status page's browser test); then assembles the real Apache Cassandra 5.0 distribution from Maven Central
# (scripts/cassandra-dist.sh, cached: a second run does nothing).
set -euo pipefail
cd "$(dirname "$0")/.."

# S3Proxy (Apache-2.0): the real S3-compatible server the backup store tests run
# (internal/backupstore/s3test), from Maven Central into ~/.m2 (cached).
s3proxy() {
  local v=2.6.0
  [[ -f "$HOME/.m2/repository/org/gaul/s3proxy/$v/s3proxy-$v-jar-with-dependencies.jar" ]] && return 0
  echo "deps: fetching S3Proxy $v from Maven Central"
  mvn -q dependency:get -Dartifact="org.gaul:s3proxy:$v:jar:jar-with-dependencies" -Dtransitive=false
}

java_major() { java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}' | cut -d. -f1; }

need=()
if ! command -v java >/dev/null 2>&1 || [[ "$(java_major)" != 17 && "$(java_major)" != 11 ]]; then
  need+=(openjdk-17-jre-headless)
fi
command -v mvn >/dev/null 2>&1 || need+=(maven)
[[ -f /usr/share/java/zookeeper.jar ]] || need+=(zookeeper)
# Headless Chromium: the status page's browser test (internal/e2e, chromedp).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# systemd-analyze verifies the unit files under deploy/systemd (deploy/deploy_test.go).
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)

if ((${#need[@]} == 0)); then
  echo "deps: ZooKeeper, Java $(java_major), Maven, Chromium and systemd-analyze are installed"
  ./scripts/cassandra-dist.sh
  s3proxy
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "deps: installing ${need[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "deps: done"
./scripts/cassandra-dist.sh
s3proxy
