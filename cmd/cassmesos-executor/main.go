// Command cassmesos-executor is the custom Mesos executor that runs one Cassandra node.
package main

import (
	"os"

	"github.com/cassmesos/cassmesos/executor"
)

func main() { os.Exit(executor.Main()) }
