// Package nodetool controls one Cassandra node through its distribution's bin/nodetool: a
// Client that runs nodetool as a subprocess (behind the Controller interface the executor
// uses), pure parsers for the output of the commands the executor needs, and typed errors for
// nodetool's failures.
//
// It owns: the nodetool command lines, the parsers (ParseStatus, ParseInfo, ParseDescribeRing,
// ParseNetstats, ParseDescribeCluster, ParseRing, ParseRunning, ParseVersion, ParseRepairLine)
// and the classification of failures (Classify, Err*). The parsers accept the output of
// Cassandra 2.1 to 5.0 (and scylla-tools-java) as documented in the project's Cassandra
// reference; they are tested on real samples in testdata/ and fuzzed.
//
// It must not import: anything else of cassmesos (executor/..., daemon/..., cli/..., internal/...,
// rpc/...), gRPC, Mesos or ZooKeeper packages. It knows nothing of the stand-in: it runs
// whatever program Config.Path names.
//
// # Invocations
//
// Every call runs `<Config.Path> -h <Host> -p <Port> [-u <user> -pw <password>] <command>` with
// the command below, in its own process group, killed (SIGKILL to the group) when the context is
// done. stdin is /dev/null. The stand-in's bin/nodetool must accept exactly these forms and
// print Cassandra 4.1's output for them:
//
//	status                                  ParseStatus
//	status <keyspace>                       ParseStatus (Owns (effective) for the keyspace)
//	info                                    ParseInfo
//	describering <keyspace>                 ParseDescribeRing
//	ring                                    ParseRing
//	netstats                                ParseNetstats (the Mode line)
//	describecluster                         ParseDescribeCluster
//	statusbinary                            ParseRunning
//	statusgossip                            ParseRunning
//	version                                 ParseVersion
//	drain                                   exit status only
//	decommission [--force]                  exit status only
//	removenode <host-id>                    exit status only
//	removenode status                       text returned as is
//	removenode force                        exit status only
//	cleanup [<keyspace> [<table>...]]       exit status only
//	flush [<keyspace> [<table>...]]         exit status only
//	enablebinary | disablebinary            exit status only
//	enablegossip | disablegossip            exit status only
//	repair [--full] [-pr] [-st <token> -et <token>] [-seq|-dcpar] [-local] [-dc <dc>]...
//	       [-j <n>] <keyspace> [<table>...]  ParseRepairLine on each stdout line as it comes
//
// Options always come in that order. Tokens may be negative ("-st -9223372036854775808").
//
// # Failures
//
// A non-zero exit is an *Error with the exit code, stdout and stderr, and a Kind recognised
// from the text real nodetool prints (see Classify): ErrConnectionRefused ("nodetool: Failed to
// connect to '127.0.0.1:7199' - ConnectException: 'Connection refused'." on stderr, exit 1),
// ErrAuthentication, ErrNotReady ("Server is not initialized yet, cannot run nodetool."),
// ErrUnknownKeyspace ("nodetool: Keyspace [x] does not exist." on stdout, exit 1; `status x`
// prints "Error: The keyspace x, does not exist"), ErrUnknownCommand ("nodetool: Found
// unexpected parameters: [x]"), ErrRepairFailed ("error: Repair job has failed with the error
// message: ..." on stderr, exit 2, or any other non-zero repair). A context deadline gives
// ErrTimeout; output that does not parse gives ErrBadOutput.
package nodetool
