package plan

import "strconv"

// String names the relayed call as nodetool does ("decommission"), for logs and errors.
func (k RelayKind) String() string {
	switch k {
	case RelayDrain:
		return "drain"
	case RelayDecommission:
		return "decommission"
	case RelayRemovePeer:
		return "removenode"
	case RelayCleanup:
		return "cleanup"
	case RelayRestartCassandra:
		return "restart"
	case RelayRepair:
		return "repair"
	case RelayDescribeRing:
		return "describering"
	case RelayAutoRepair:
		return "setautorepairconfig"
	case RelayListKeyspaces:
		return "describecluster"
	case RelayReloadSeeds:
		return "reloadseeds"
	case RelayBackup:
		return "backup"
	case RelayRestore:
		return "restore"
	case RelayDeleteBackup:
		return "delete-backup"
	case RelayRenewCert:
		return "reloadssl"
	case RelayRebuild:
		return "rebuild"
	}
	return "relay(" + strconv.Itoa(int(k)) + ")"
}
