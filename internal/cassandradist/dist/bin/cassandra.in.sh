# Sourced by bin/cassandra and bin/nodetool: locates the distribution, its configuration, the class
# path and a Java runtime. Written for cassmesos's assembled Apache Cassandra 5.0 distribution;
# honours the same environment as Apache's script (CASSANDRA_HOME, CASSANDRA_CONF, JAVA_HOME,
# CASSANDRA_LOG_DIR).

if [ "x$CASSANDRA_HOME" = "x" ]; then
    CASSANDRA_HOME="$(cd "$(dirname "$0")/.." && pwd)"
fi
if [ "x$CASSANDRA_CONF" = "x" ]; then
    CASSANDRA_CONF="$CASSANDRA_HOME/conf"
fi
if [ "x$CASSANDRA_LOG_DIR" = "x" ]; then
    CASSANDRA_LOG_DIR="$CASSANDRA_HOME/logs"
fi
cassandra_storagedir="$CASSANDRA_HOME/data"

# The configuration directory first, so logback.xml is found on the class path; then every jar.
CLASSPATH="$CASSANDRA_CONF"
for jar in "$CASSANDRA_HOME"/lib/*.jar; do
    CLASSPATH="$CLASSPATH:$jar"
done

if [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    JAVA="$JAVA_HOME/bin/java"
else
    JAVA="$(command -v java)"
fi
if [ -z "$JAVA" ]; then
    echo "Unable to find java executable. Check JAVA_HOME and PATH environment variables." >&2
    exit 1
fi

# The Java major version decides which jvmNN-*.options file applies. Cassandra 5.0 runs on 11 and 17.
# The runtime's release file says it without starting a JVM (every nodetool call sources this);
# `java -version` is the fallback.
JAVA_VERSION=""
java_release="$(dirname "$(dirname "$(readlink -f "$JAVA")")")/release"
if [ -f "$java_release" ]; then
    JAVA_VERSION=$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$java_release")
fi
if [ -z "$JAVA_VERSION" ]; then
    java_ver_output=$("$JAVA" -version 2>&1)
    JAVA_VERSION=$(echo "$java_ver_output" | grep '[openjdk|java] version' | awk -F'"' 'NR==1 {print $2}' | cut -d'-' -f1)
fi
JVM_VERSION=${JAVA_VERSION%%.*}
if [ "$JVM_VERSION" = "1" ]; then
    JVM_VERSION=$(echo "$JAVA_VERSION" | cut -d'.' -f2)
fi
case "$JVM_VERSION" in
    11) java_options_version=11 ;;
    17) java_options_version=17 ;;
    *)  echo "Cassandra 5.0 requires Java 11 or 17; $JAVA is Java $JAVA_VERSION." >&2
        exit 1 ;;
esac

# jamm measures object sizes; Cassandra needs it as a Java agent.
JAMM_JAR=""
for jar in "$CASSANDRA_HOME"/lib/jamm-*.jar; do
    if [ -f "$jar" ]; then JAMM_JAR="$jar"; fi
done
