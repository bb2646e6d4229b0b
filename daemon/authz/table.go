package authz

import (
	"strings"

	v1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Rule is what a method needs.
type Rule struct {
	// Role is the least role that may call the method.
	Role Role
	// Mutating methods are audited (allowed or refused for permission).
	Mutating bool
	// Escalate, if set, may raise the role needed for a particular request (e.g. a spec that
	// touches security settings needs admin).
	Escalate func(req any) (Role, string)
}

// Methods maps every full gRPC method name the daemon serves to its rule. A method missing here is
// refused for everybody (and TestEveryMethodHasARule fails).
var Methods = map[string]Rule{
	// RingService
	v1.RingService_CreateRing_FullMethodName:       {Role: Operator, Mutating: true, Escalate: specEscalation},
	v1.RingService_GetRing_FullMethodName:          {Role: Viewer},
	v1.RingService_ListRings_FullMethodName:        {Role: Viewer},
	v1.RingService_UpdateRing_FullMethodName:       {Role: Operator, Mutating: true, Escalate: specEscalation},
	v1.RingService_ScaleRing_FullMethodName:        {Role: Operator, Mutating: true},
	v1.RingService_RestartRing_FullMethodName:      {Role: Operator, Mutating: true},
	v1.RingService_DeleteRing_FullMethodName:       {Role: Admin, Mutating: true},
	v1.RingService_ListKeyspaces_FullMethodName:    {Role: Viewer},
	v1.RingService_AddDataCenter_FullMethodName:    {Role: Operator, Mutating: true},
	v1.RingService_RemoveDataCenter_FullMethodName: {Role: Operator, Mutating: true},
	// NodeService
	v1.NodeService_ListNodes_FullMethodName:        {Role: Viewer},
	v1.NodeService_GetNode_FullMethodName:          {Role: Viewer},
	v1.NodeService_ReplaceNode_FullMethodName:      {Role: Operator, Mutating: true},
	v1.NodeService_RestartNode_FullMethodName:      {Role: Operator, Mutating: true},
	v1.NodeService_DecommissionNode_FullMethodName: {Role: Operator, Mutating: true},
	v1.NodeService_RemoveNode_FullMethodName:       {Role: Operator, Mutating: true},
	// OperationService
	v1.OperationService_ListOperations_FullMethodName:  {Role: Viewer},
	v1.OperationService_GetOperation_FullMethodName:    {Role: Viewer},
	v1.OperationService_CancelOperation_FullMethodName: {Role: Operator, Mutating: true},
	v1.OperationService_WatchOperation_FullMethodName:  {Role: Viewer},
	// RepairService
	v1.RepairService_RunRepair_FullMethodName:            {Role: Operator, Mutating: true},
	v1.RepairService_ListRepairs_FullMethodName:          {Role: Viewer},
	v1.RepairService_GetRepair_FullMethodName:            {Role: Viewer},
	v1.RepairService_GetAutoRepairStatus_FullMethodName:  {Role: Viewer},
	v1.RepairService_CancelRepair_FullMethodName:         {Role: Operator, Mutating: true},
	v1.RepairService_PauseRepair_FullMethodName:          {Role: Operator, Mutating: true},
	v1.RepairService_ResumeRepair_FullMethodName:         {Role: Operator, Mutating: true},
	v1.RepairService_CreateRepairSchedule_FullMethodName: {Role: Operator, Mutating: true},
	v1.RepairService_ListRepairSchedules_FullMethodName:  {Role: Viewer},
	v1.RepairService_DeleteRepairSchedule_FullMethodName: {Role: Admin, Mutating: true},
	// CleanupService
	v1.CleanupService_RunCleanup_FullMethodName: {Role: Operator, Mutating: true},
	// BackupService
	v1.BackupService_CreateBackup_FullMethodName:  {Role: Operator, Mutating: true},
	v1.BackupService_RestoreBackup_FullMethodName: {Role: Admin, Mutating: true},
	v1.BackupService_DeleteBackup_FullMethodName:  {Role: Admin, Mutating: true},
	// SystemService
	v1.SystemService_GetVersion_FullMethodName: {Role: Viewer},
	// EventService: what happened to rings, nodes and operations.
	v1.EventService_ListEvents_FullMethodName:  {Role: Viewer},
	v1.EventService_WatchEvents_FullMethodName: {Role: Viewer},
	// AuditService: the log names who did what; only admins read it.
	v1.AuditService_ListAuditEvents_FullMethodName: {Role: Admin},
	v1.AuditService_VerifyAuditLog_FullMethodName:  {Role: Admin},
}

// securityYAMLKeys are cassandra.yaml settings that switch Cassandra's own authentication,
// authorisation or encryption: changing them through a ring spec takes admin.
var securityYAMLKeys = []string{
	"authenticator", "authorizer", "role_manager", "network_authorizer", "cidr_authorizer",
	"server_encryption_options", "client_encryption_options", "transparent_data_encryption_options",
	"jmx_server_options", "crypto_provider",
}

// securityJVMPrefixes are JVM options that change JMX's authentication or encryption (or point it
// at other files).
var securityJVMPrefixes = []string{"-Dcom.sun.management.", "-Dcassandra.jmx.", "-Djava.security.", "-Djavax.net."}

// specEscalation: a CreateRing or UpdateRing whose spec sets a security setting needs admin.
func specEscalation(req any) (Role, string) {
	var spec *v1.RingSpec
	switch r := req.(type) {
	case *v1.CreateRingRequest:
		spec = r.GetSpec()
	case *v1.UpdateRingRequest:
		spec = r.GetSpec()
		for _, p := range r.GetUpdateMask().GetPaths() {
			if p == "encryption" || strings.HasPrefix(p, "encryption.") {
				return Admin, "changing " + p + " (Cassandra's TLS) is a security setting"
			}
		}
	}
	for k := range spec.GetCassandraYaml() {
		for _, s := range securityYAMLKeys {
			if k == s || strings.HasPrefix(k, s+".") {
				return Admin, "cassandra_yaml key " + k + " is a security setting"
			}
		}
	}
	for _, o := range spec.GetJvmOptions() {
		for _, p := range securityJVMPrefixes {
			if strings.HasPrefix(o, p) {
				return Admin, "jvm option " + strings.SplitN(o, "=", 2)[0] + " is a security setting"
			}
		}
	}
	return RoleNone, ""
}
