#!/usr/bin/env bash
# Installs what cassmesos needs on a bare Debian machine, from Debian's packages only:
# ZooKeeper (tests and the demo start their own server from it) and a Java runtime for it.
set -euo pipefail

need=()
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
[[ -f /usr/share/java/zookeeper.jar ]] || need+=(zookeeper)

if ((${#need[@]} == 0)); then
  echo "deps: ZooKeeper and a JRE are installed"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "deps: installing ${need[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "deps: done"
