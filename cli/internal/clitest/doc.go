// Package clitest is the CLI's test harness: a fake cassmesosd (every RPC a hook, served over
// bufconn through real gRPC, so the connection wrapper and error mapping are exercised), an Env
// wiring a Factory to buffer streams and the fake, a fixed clock, and helpers to run commands.
//
// Only tests import it. It must not import command packages.
package clitest
