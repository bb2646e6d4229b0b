// Package backup is `cassmesos backup`: create, list, show and restore ring backups (BACKUP and
// RESTORE operations; see docs/operations.md, "Backing up and restoring").
package backup
