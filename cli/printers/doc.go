// Package printers owns how the CLI shows data: tables built by pure functions from API messages
// (NAME first, AGE last) and rendered with tablewriter, protojson-based JSON and YAML, -o name,
// and the short spellings of states (UN, UJ, DN), phases and ages.
//
// It imports the generated API (rpc/cassmesos/v1) and nothing else of the project.
package printers
