// Package deploy holds no code: it carries the files that deploy cassmesosd the way Mesos shops
// do — a Marathon app definition (marathon/), systemd units (systemd/) and a sample config file
// (config/) — and the tests that check them: the Marathon JSON against Marathon's app JSON
// schema, the units with `systemd-analyze verify`, the config with the daemon's own loader.
// docs/operations.md#deploying-cassmesosd explains them.
package deploy
