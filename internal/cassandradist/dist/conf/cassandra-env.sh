# Sourced by bin/cassandra: the heap, JMX and extra JVM options of one Cassandra 5.0 node.
# Written for cassmesos's assembled distribution with the defaults of Apache Cassandra's own
# conf/cassandra-env.sh. Environment it honours:
#   MAX_HEAP_SIZE, HEAP_NEWSIZE  the heap (both or neither; computed from the machine when unset)
#   LOCAL_JMX                    yes (default): JMX on 127.0.0.1 only, no authentication;
#                                no: remote JMX with authentication
#   JVM_EXTRA_OPTS               appended to the JVM's options

calculate_heap_sizes() {
    system_memory_in_mb=$(awk '/MemTotal/ {printf "%d", $2/1024}' /proc/meminfo)
    system_cpu_cores=$(nproc 2>/dev/null || echo 1)
    # max(min(1/2 ram, 1024MB), min(1/4 ram, 8GB))
    half_system_memory_in_mb=$((system_memory_in_mb / 2))
    quarter_system_memory_in_mb=$((half_system_memory_in_mb / 2))
    if [ "$half_system_memory_in_mb" -gt 1024 ]; then half_system_memory_in_mb=1024; fi
    if [ "$quarter_system_memory_in_mb" -gt 8192 ]; then quarter_system_memory_in_mb=8192; fi
    if [ "$half_system_memory_in_mb" -gt "$quarter_system_memory_in_mb" ]; then
        max_heap_size_in_mb=$half_system_memory_in_mb
    else
        max_heap_size_in_mb=$quarter_system_memory_in_mb
    fi
    MAX_HEAP_SIZE="${max_heap_size_in_mb}M"
    # min(100 MB per core, 1/4 of the heap)
    max_sensible_yg_per_core_in_mb=100
    max_sensible_yg_in_mb=$((max_sensible_yg_per_core_in_mb * system_cpu_cores))
    desired_yg_in_mb=$((max_heap_size_in_mb / 4))
    if [ "$desired_yg_in_mb" -gt "$max_sensible_yg_in_mb" ]; then
        HEAP_NEWSIZE="${max_sensible_yg_in_mb}M"
    else
        HEAP_NEWSIZE="${desired_yg_in_mb}M"
    fi
}

if [ "x$MAX_HEAP_SIZE" = "x" ] && [ "x$HEAP_NEWSIZE" = "x" ]; then
    calculate_heap_sizes
elif [ "x$MAX_HEAP_SIZE" = "x" ] || [ "x$HEAP_NEWSIZE" = "x" ]; then
    echo "please set or unset MAX_HEAP_SIZE and HEAP_NEWSIZE in pairs (see cassandra-env.sh)" >&2
    exit 1
fi

if [ "x$MALLOC_ARENA_MAX" = "x" ]; then
    export MALLOC_ARENA_MAX=4
fi

# The G1 collector (jvm17-server.options) sizes the young generation itself: only the heap is set.
JVM_OPTS="$JVM_OPTS -Xms${MAX_HEAP_SIZE} -Xmx${MAX_HEAP_SIZE}"

# Memory metering.
if [ -n "$JAMM_JAR" ]; then
    JVM_OPTS="$JVM_OPTS -javaagent:$JAMM_JAR"
fi

# Stop the JVM on OutOfMemoryError: it can leave data corrupt.
JVM_ON_OUT_OF_MEMORY_ERROR_OPT="-XX:OnOutOfMemoryError=kill -9 %p"

# JMX: metrics and administration (nodetool). Local-only by default, bound to 127.0.0.1.
if [ "x$LOCAL_JMX" = "x" ]; then
    LOCAL_JMX=yes
fi

# The port JMX listens on. Keep it on one line of its own: tools rewrite it.
JMX_PORT="7199"

if [ "$LOCAL_JMX" = "yes" ]; then
    JVM_OPTS="$JVM_OPTS -Dcassandra.jmx.local.port=$JMX_PORT"
    JVM_OPTS="$JVM_OPTS -Dcom.sun.management.jmxremote.authenticate=false"
else
    JVM_OPTS="$JVM_OPTS -Dcassandra.jmx.remote.port=$JMX_PORT"
    JVM_OPTS="$JVM_OPTS -Dcom.sun.management.jmxremote.rmi.port=$JMX_PORT"
    JVM_OPTS="$JVM_OPTS -Dcom.sun.management.jmxremote.authenticate=true"
    if [ -n "$JMX_PASSWORD_FILE" ]; then
        JVM_OPTS="$JVM_OPTS -Dcom.sun.management.jmxremote.password.file=$JMX_PASSWORD_FILE"
    fi
fi

JVM_OPTS="$JVM_OPTS $JVM_EXTRA_OPTS"
