#!/usr/bin/env bash
# make demo / make demo-down: a Cassandra ring on the local world.
#   up:   ZooKeeper (Debian's package) + mesos-sim (5 agents) + cassmesosd, then
#         `cassmesos ring create demo --nodes 3 --seeds 2 --wait` and `cassmesos ring status demo`.
#   down: stops everything `up` started and removes its state.
# CASSANDRA=real runs real Apache Cassandra 5.0 (the tarball `make deps` assembles) instead of the
# stand-in; CASSANDRA_TARBALL=path uses any other Cassandra tarball. DEMO_NODES sets the ring size.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
state=$root/.demo
bin=$root/bin

zk_port=${DEMO_ZK_PORT:-21810}
master=${DEMO_MASTER:-127.0.0.1:5050}
grpc=${DEMO_GRPC:-127.0.0.1:9090}
artifacts=${DEMO_ARTIFACTS:-127.0.0.1:9091}
cassandra=${CASSANDRA:-sim}
nodes=${DEMO_NODES:-3}
ring_flags=()
case $cassandra in
  sim) tarball=${CASSANDRA_TARBALL:-$bin/apache-cassandra-4.1-sim-bin.tar.gz} ;;
  real)
    tarball=${CASSANDRA_TARBALL:-$(ls "$bin"/apache-cassandra-5.*-bin.tar.gz 2>/dev/null | tail -1)}
    # Test-speed settings for a throw-away ring (never production defaults): a short ring delay,
    # no wait for gossip to settle, no delay before the default superuser is set up. Several
    # nodes share this machine, so each takes its JMX port from its offer.
    ring_flags=(--jvm-opt=-Dcassandra.ring_delay_ms=2000 --jvm-opt=-Dcassandra.skip_wait_for_gossip_to_settle=0
      --jvm-opt=-Dcassandra.superuser_setup_delay_ms=0 --jmx-port-from-offer) ;;
  *) echo "demo: CASSANDRA must be sim or real, not \"$cassandra\"" >&2; exit 2 ;;
esac

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
  [[ -n $tarball && -f $tarball ]] || { log "no Cassandra tarball at '$tarball' (make deps builds the real one, make cassandra-sim-tarball the stand-in; or set CASSANDRA_TARBALL)"; exit 1; }
  if [[ -d $state ]]; then log "a demo is already running (make demo-down first)"; exit 1; fi
  mkdir -p "$state"

  log "starting ZooKeeper on 127.0.0.1:$zk_port"
  start zookeeper "$bin/zk-local" --dir "$state/zookeeper" --port "$zk_port"
  wait_for ZooKeeper 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$zk_port"

  log "starting mesos-sim on $master with 5 agents"
  # The agents share this machine: each offers its own range of further ports, as agents on
  # separate hosts would (real Cassandra binds JMX to 127.0.0.1).
  local resources=()
  for i in 0 1 2 3 4; do
    resources+=(--agent-resources "cpus:4;mem:8192;disk:65536;ports:[7000-7001,7199-7199,9042-9042,$((31000 + 100 * i))-$((31099 + 100 * i))]")
  done
  start mesos-sim "$bin/mesos-sim" --listen "$master" --agents 5 --work-dir "$state/mesos" \
    --first-agent-ip "${DEMO_FIRST_AGENT_IP:-127.0.0.2}" --heartbeat-interval 5s "${resources[@]}"
  wait_for mesos-sim 30 curl -sf "http://$master/health"

  # TLS on: a CA for the demo, the daemon's certificate and an admin client certificate.
  local pki=$state/pki
  "$bin/cassmesosd" certs init --dir "$pki" --san "${grpc%:*}" >&2
  export CASSMESOS_SERVER=$grpc CASSMESOS_CA=$pki/ca.crt CASSMESOS_CERT=$pki/admin.crt CASSMESOS_KEY=$pki/admin.key
  # ZooKeeper credentials and the key task secrets are derived from, readable only by us.
  (umask 077 && printf 'cassmesos:%s\n' "$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')" >"$state/zk-digest")
  "$bin/cassmesosd" secret-key init --secret-key-file "$state/secret.key"

  log "starting cassmesosd (gRPC $grpc, mutual TLS with the CA in $pki, ZooKeeper digest ACLs)"
  start cassmesosd "$bin/cassmesosd" --master "http://$master" --zk "127.0.0.1:$zk_port/cassmesos-demo" \
    --listen "$grpc" --artifact-listen "$artifacts" --cassandra-url "$tarball" \
    --executor-path "$bin/cassmesos-executor" --tls-dir "$pki" --tls-require-client-cert \
    --zk-digest-file "$state/zk-digest" --secret-key-file "$state/secret.key"
  wait_for cassmesosd 30 "$bin/cassmesos" --server "$grpc" version

  log "creating ring demo: $nodes nodes, up to 2 seeds, Cassandra: $cassandra ($(basename "$tarball"))"
  local begin=$SECONDS
  "$bin/cassmesos" ring create demo --nodes "$nodes" --seeds "$((nodes < 2 ? nodes : 2))" --cpus 0.5 --mem 1Gi --disk 1Gi \
    "${ring_flags[@]}" --wait --timeout 15m
  log "ring demo created in $((SECONDS - begin))s"
  "$bin/cassmesos" ring status demo
  cat <<MSG

The demo is running (mutual TLS; certificates in $pki). Try:
  export CASSMESOS_SERVER=$grpc CASSMESOS_CA=$pki/ca.crt CASSMESOS_CERT=$pki/admin.crt CASSMESOS_KEY=$pki/admin.key
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
