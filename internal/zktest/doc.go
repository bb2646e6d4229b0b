// Package zktest runs real Apache ZooKeeper servers for tests and for the local demo.
//
// It starts the server from the installed Debian package (/usr/share/java/zookeeper.jar, run by
// java as a plain subprocess) on free loopback ports in a temporary directory, waits until the
// server answers, and stops it again. It offers a standalone server ([Start], [Run]), a
// three-server ensemble ([StartEnsemble]) for fault tests, one server shared by a whole test binary
// ([Main], [Shared]), and [ExpireSession], which ends a client's session on purpose the way
// ZooKeeper's own tests do: a second connection attaches to the same session and closes it.
//
// A test that needs ZooKeeper fails (never skips) when it is not installed, with a message naming
// `make deps`.
//
// zktest is test and local-world code: it imports only the standard library and the ZooKeeper
// client; product packages (daemon/, executor/, cli/, zkstate/) must not import it outside tests.
package zktest
