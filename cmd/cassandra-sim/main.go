// Command cassandra-sim is the Cassandra stand-in: the server behind the tarball's bin/cassandra, and
// its nodetool and cqlsh. See docs/cassandra-sim.md.
package main

import (
	"os"

	"github.com/cassmesos/cassmesos/internal/cassandrasim"
)

func main() { os.Exit(cassandrasim.Main()) }
