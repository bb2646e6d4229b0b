# Apache Cassandra 4.1 stand-in: the environment bin/cassandra and bin/nodetool share.
if [ "x$CASSANDRA_HOME" = "x" ]; then
    CASSANDRA_HOME="$(cd "$(dirname "$0")/.." && pwd)"
fi
if [ -z "$CASSANDRA_CONF" ]; then
    CASSANDRA_CONF="$CASSANDRA_HOME/conf"
fi
if [ -z "$CASSANDRA_LOG_DIR" ]; then
    CASSANDRA_LOG_DIR="$CASSANDRA_HOME/logs"
fi
cassandra_storagedir="$CASSANDRA_HOME/data"
export CASSANDRA_HOME CASSANDRA_CONF CASSANDRA_LOG_DIR
