// Command mangen writes the man pages of cassmesos and cassmesosd into a directory:
// `go run ./internal/mangen/cmd/mangen docs/man` (make man).
package main

import (
	"fmt"
	"os"

	"github.com/cassmesos/cassmesos/internal/mangen"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mangen DIR")
		os.Exit(2)
	}
	if err := mangen.Write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "mangen:", err)
		os.Exit(1)
	}
}
