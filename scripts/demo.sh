#!/usr/bin/env bash
# make demo / make demo-down: a Cassandra ring on the local world.
#   up:   ZooKeeper (Debian's package) + mesos-sim (5 agents) + cassmesosd, then
#         `cassmesos ring create demo --nodes 3 --seeds 2 --wait` and `cassmesos ring status demo`.
#   down: stops everything `up` started and removes its state.
# CASSANDRA_TARBALL=path uses that Cassandra tarball instead of the stand-in.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
state=$root/.demo
bin=$root/bin

zk_port=${DEMO_ZK_PORT:-21810}
master=${DEMO_MASTER:-127.0.0.1:5050}
grpc=${DEMO_GRPC:-127.0.0.1:9090}
artifacts=${DEMO_ARTIFACTS:-127.0.0.1:9091}
tarball=${CASSANDRA_TARBALL:-$bin/apache-cassandra-4.1-sim-bin.tar.gz}

log() { printf 'demo: %s\n' "$*" >&2; }

wait_for() { # wait_for DESCRIPTION SECONDS COMMAND...
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then log "$what did not come up within ${secs}s; logs are in $state"; return 1; fi
    sleep 0.2
  done
}

start() { # start NAME COMMAND...: runs COMMAND in the background, pid in $state/NAME.pid
  local name=$1; shift
  "$@" >"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
}

down() {
  if [[ -d $state ]]; then
    for name in cassmesosd mesos-sim zookeeper; do
      if [[ -f $state/$name.pid ]]; then
        pid=$(cat "$state/$name.pid")
        if kill -0 "$pid" 2>/dev/null; then
          log "stopping $name (pid $pid)"
          kill -TERM "$pid" 2>/dev/null || true
          for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
          kill -KILL "$pid" 2>/dev/null || true
        fi
      fi
    done
    # Executors and Cassandra nodes run in their own process groups under the simulator's work dir.
    pkill -KILL -f "$state/mesos" 2>/dev/null || true
    rm -rf "$state"
  fi
  log "stopped"
}

up() {
  [[ -f /usr/share/java/zookeeper.jar ]] || { log "ZooKeeper is not installed: run \`make deps\`"; exit 1; }
  [[ -f $tarball ]] || { log "no Cassandra tarball at $tarball (make cassandra-sim-tarball, or set CASSANDRA_TARBALL)"; exit 1; }
  if [[ -d $state ]]; then log "a demo is already running (make demo-down first)"; exit 1; fi
  mkdir -p "$state"

  log "starting ZooKeeper on 127.0.0.1:$zk_port"
  start zookeeper "$bin/zk-local" --dir "$state/zookeeper" --port "$zk_port"
  wait_for ZooKeeper 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$zk_port"

  log "starting mesos-sim on $master with 5 agents"
  start mesos-sim "$bin/mesos-sim" --listen "$master" --agents 5 --work-dir "$state/mesos" \
    --first-agent-ip "${DEMO_FIRST_AGENT_IP:-127.0.0.2}" --heartbeat-interval 5s \
    --agent-resources "cpus:4;mem:8192;disk:65536;ports:[7000-7001,7199-7199,9042-9042,31000-32000]"
  wait_for mesos-sim 30 curl -sf "http://$master/health"

  log "starting cassmesosd (gRPC $grpc)"
  start cassmesosd "$bin/cassmesosd" --master "http://$master" --zk "127.0.0.1:$zk_port/cassmesos-demo" \
    --listen "$grpc" --artifact-listen "$artifacts" --cassandra-url "$tarball" \
    --executor-path "$bin/cassmesos-executor"
  wait_for cassmesosd 30 "$bin/cassmesos" --server "$grpc" version

  export CASSMESOS_SERVER=$grpc
  log "creating ring demo: 3 nodes, 2 seeds"
  "$bin/cassmesos" ring create demo --nodes 3 --seeds 2 --cpus 0.5 --mem 1Gi --disk 1Gi --wait --timeout 10m
  "$bin/cassmesos" ring status demo
  cat <<MSG

The demo is running. Try:
  export CASSMESOS_SERVER=$grpc
  $bin/cassmesos ring list
  $bin/cassmesos ring status demo -o wide
  $bin/cassmesos ring scale demo --nodes 4 --wait
  $bin/cassmesos op list --all
Mesos state: curl -s http://$master/master/state | head
Logs: $state/*.log
Stop everything: make demo-down
MSG
}

case ${1:-} in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
