package plan

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/internal/backupstore"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Backups. A backup is a BACKUP operation: its ID is the backup ID (the snapshot tag on every node
// and the key prefix in the store), its params name the store, and each done "backup <node>" step
// carries what the node stored (Step.backup: file and byte counts and the SHA-256 of the node's
// manifest). The operation record, under /operations/<id> with its steps chunked as every
// operation's, is the catalogue; the files and per-file checksums are in the store.
//
// A RESTORE operation restores one into a ring: node <ring>-<i> loads the files of node
// <source-ring>-<i>, and each manifest must have the SHA-256 the BACKUP recorded.

const (
	stepBackupNode   = cassmesosv1.StepKind_STEP_KIND_BACKUP
	stepRestoreNode  = cassmesosv1.StepKind_STEP_KIND_RESTORE
	stepDeleteBackup = cassmesosv1.StepKind_STEP_KIND_DELETE_BACKUP
	opBackup         = cassmesosv1.OperationKind_OPERATION_KIND_BACKUP
	opRestore        = cassmesosv1.OperationKind_OPERATION_KIND_RESTORE
	opDeleteBackup   = cassmesosv1.OperationKind_OPERATION_KIND_DELETE_BACKUP
)

func init() {
	stepWords[stepBackupNode] = "backup"
	stepWords[stepRestoreNode] = "restore"
	stepWords[stepDeleteBackup] = "delete-backup"
	legacyStepKinds["backup"] = stepBackupNode
	legacyStepKinds["restore"] = stepRestoreNode
	legacyStepKinds["delete-backup"] = stepDeleteBackup
	opRules[opDeleteBackup] = opRule{exclusive: true, maintenance: true}
	// Both run alone on their ring, after (never during) topology changes, like cleanup.
	opRules[opBackup] = opRule{exclusive: true, maintenance: true}
	opRules[opRestore] = opRule{exclusive: true, maintenance: true}
}

// RunBackup starts a BACKUP operation of a ring.
type RunBackup struct {
	Ring   string
	Params *cassmesosv1.BackupParams
	// Origin is "cli" (default) or "daemon" (a backup schedule).
	Origin    string
	RequestID string
}

// RunRestore starts a RESTORE operation into a ring.
type RunRestore struct {
	Ring      string
	Params    *cassmesosv1.RestoreParams
	RequestID string
}

func (RunBackup) isRequest()      {}
func (RunBackup) isMaintenance()  {}
func (RunRestore) isRequest()     {}
func (RunRestore) isMaintenance() {}

func validateNames(field string, names []string, what string) error {
	for i, k := range names {
		if !identRE.MatchString(k) {
			return fmt.Errorf("%w: %s[%d]: %q is not a %s name", ErrInvalid, field, i, k, what)
		}
	}
	return nil
}

// storeURL is the request's store, else the daemon's default; errors wrap ErrInvalid.
func (ps *pass) storeURL(field, u string) (string, error) {
	if u == "" {
		u = ps.p.cfg.BackupStore
	}
	if u == "" {
		return "", fmt.Errorf("%w: %s: no backup store given and the daemon has no default (backup_store)", ErrInvalid, field)
	}
	if err := backupstore.ValidateURL(u); err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrInvalid, field, err)
	}
	return u, nil
}

// validateBackupParams checks a backup's parameters; errors wrap ErrInvalid and name the field.
func validateBackupParams(field string, p *cassmesosv1.BackupParams) error {
	if p.GetBackupId() != "" {
		return fmt.Errorf("%w: %s.backup_id: chosen by the daemon (the operation's ID)", ErrInvalid, field)
	}
	if p.GetStoreUrl() != "" {
		if err := backupstore.ValidateURL(p.GetStoreUrl()); err != nil {
			return fmt.Errorf("%w: %s.store_url: %v", ErrInvalid, field, err)
		}
	}
	return validateNames(field+".keyspaces", p.GetKeyspaces(), "keyspace")
}

func (ps *pass) runBackupReq(req RunBackup) (Accepted, error) {
	r, err := ps.liveRing(req.Ring)
	if err != nil {
		return Accepted{}, err
	}
	origin := req.Origin
	if origin == "" {
		origin = "cli"
	}
	op, err := ps.newBackupOp(req.Ring, origin, req.Params)
	if err != nil {
		return Accepted{}, err
	}
	ps.putOp(op)
	return Accepted{Operation: op, Ring: r, Created: true}, nil
}

// newBackupOp builds a BACKUP operation of ring (not stored): a step per joined node.
func (ps *pass) newBackupOp(ring, origin string, params *cassmesosv1.BackupParams) (*statev1.OperationRecord, error) {
	p := &cassmesosv1.BackupParams{}
	if params != nil {
		p = proto.Clone(params).(*cassmesosv1.BackupParams)
	}
	if err := validateBackupParams("params", p); err != nil {
		return nil, err
	}
	var err error
	if p.StoreUrl, err = ps.storeURL("params.store_url", p.GetStoreUrl()); err != nil {
		return nil, err
	}
	var steps []*cassmesosv1.Step
	for _, n := range ps.ringNodes(ring) {
		if n.GetBootstrapped() && n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
			steps = append(steps, newStep(stepBackupNode, n.GetName()))
		}
	}
	if len(steps) == 0 {
		return nil, refused("ring %s has no node that has joined; nothing to back up", ring)
	}
	op := ps.newOperation(opBackup, ring, origin, &cassmesosv1.OperationParams{Backup: p}, steps)
	p.BackupId = op.GetOperation().GetId()
	return op, nil
}

// activeBackup returns the ID of an unfinished BACKUP operation of the ring, or "".
func (ps *pass) activeBackup(ring string) string {
	for _, id := range ps.opsByAge() {
		o := ps.ops[id].GetOperation()
		if o.GetRing() == ring && o.GetKind() == opBackup && opActive(o) {
			return id
		}
	}
	return ""
}

func (ps *pass) runRestoreReq(req RunRestore) (Accepted, error) {
	r, err := ps.liveRing(req.Ring)
	if err != nil {
		return Accepted{}, err
	}
	p := proto.Clone(req.Params).(*cassmesosv1.RestoreParams)
	if p == nil {
		p = &cassmesosv1.RestoreParams{}
	}
	if err := validateNames("params.keyspaces", p.GetKeyspaces(), "keyspace"); err != nil {
		return Accepted{}, err
	}
	if err := validateNames("params.tables", p.GetTables(), "table"); err != nil {
		return Accepted{}, err
	}
	if len(p.GetTables()) > 0 && len(p.GetKeyspaces()) != 1 {
		return Accepted{}, fmt.Errorf("%w: params.tables: tables need exactly one keyspace", ErrInvalid)
	}
	if len(p.GetManifests()) > 0 {
		return Accepted{}, fmt.Errorf("%w: params.manifests: filled in by the daemon from the backup", ErrInvalid)
	}
	b := ps.ops[p.GetBackupId()]
	if p.GetBackupId() == "" || b == nil || b.GetOperation().GetKind() != opBackup {
		return Accepted{}, fmt.Errorf("%w: params.backup_id: %q is not a backup (list them with cassmesos backup list)", ErrOperationNotFound, p.GetBackupId())
	}
	bo := b.GetOperation()
	if d := bo.GetParams().GetBackup().GetDeletedBy(); d != "" {
		return Accepted{}, refused("backup %s was deleted (operation %s)", bo.GetId(), d)
	}
	if bo.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
		return Accepted{}, refused("backup %s is %s; only a backup that succeeded can be restored", bo.GetId(), bo.GetPhase())
	}
	if p.GetSourceRing() == "" {
		p.SourceRing = req.Ring
	}
	if p.GetSourceRing() != bo.GetRing() {
		return Accepted{}, fmt.Errorf("%w: params.source_ring: backup %s is of ring %s, not %s", ErrInvalid, bo.GetId(), bo.GetRing(), p.GetSourceRing())
	}
	if p.GetStoreUrl() == "" {
		p.StoreUrl = bo.GetParams().GetBackup().GetStoreUrl()
	}
	if p.StoreUrl, err = ps.storeURL("params.store_url", p.GetStoreUrl()); err != nil {
		return Accepted{}, err
	}
	p.Manifests = map[string]string{}
	for _, s := range bo.GetSteps() {
		if stepKind(s) == stepBackupNode && s.GetPhase() == cassmesosv1.StepPhase_STEP_PHASE_DONE && s.GetBackup().GetManifestSha256() != "" {
			p.Manifests[s.GetNode()] = s.GetBackup().GetManifestSha256()
		}
	}
	var steps []*cassmesosv1.Step
	for _, n := range ps.ringNodes(req.Ring) {
		if !n.GetBootstrapped() || n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
			continue
		}
		src := sourceNode(p.GetSourceRing(), n)
		if p.Manifests[src] == "" {
			return Accepted{}, refused("%s would restore the files of %s, which has no part in backup %s (the backup covers %d nodes); restore into a ring of the same shape", n.GetName(), src, bo.GetId(), len(p.Manifests))
		}
		steps = append(steps, newStep(stepRestoreNode, n.GetName()))
	}
	if len(steps) == 0 {
		return Accepted{}, refused("ring %s has no node that has joined; nothing to restore into", req.Ring)
	}
	op := ps.newOperation(opRestore, req.Ring, "cli", &cassmesosv1.OperationParams{Restore: p}, steps)
	ps.putOp(op)
	return Accepted{Operation: op, Ring: r, Created: true}, nil
}

// sourceNode is the backed-up node whose files n restores: the node of the same ordinal.
func sourceNode(sourceRing string, n *statev1.NodeRecord) string {
	return sourceRing + "-" + strconv.Itoa(int(n.GetOrdinal()))
}

// stepBackupNode backs one node up once it is UN and no topology change is under way, retrying a
// failure up to maxRelayAttempts times (a retry resumes: stored files are not sent again).
func (ps *pass) stepBackupNode(r *opRun) result {
	p := r.op().GetParams().GetBackup()
	return ps.backupRelay(r, "backup", func(rl *Relay) {
		rl.Kind = RelayBackup
		rl.BackupNode = &cassmesosv1.BackupNodeRequest{BackupId: p.GetBackupId(), StoreUrl: p.GetStoreUrl(), Keyspaces: p.GetKeyspaces()}
	})
}

// stepRestoreNode restores one node's files (of the same ordinal's node of the backed-up ring).
func (ps *pass) stepRestoreNode(r *opRun) result {
	p := r.op().GetParams().GetRestore()
	n := ps.node(r.step.GetNode())
	if n == nil {
		return done("node gone")
	}
	src := sourceNode(p.GetSourceRing(), n)
	return ps.backupRelay(r, "restore", func(rl *Relay) {
		rl.Kind = RelayRestore
		rl.RestoreNode = &cassmesosv1.RestoreNodeRequest{BackupId: p.GetBackupId(), StoreUrl: p.GetStoreUrl(), SourceNode: src,
			Keyspaces: p.GetKeyspaces(), Tables: p.GetTables(), ManifestSha256: p.GetManifests()[src]}
	})
}

func (ps *pass) backupRelay(r *opRun, word string, fill func(*Relay)) result {
	name := r.step.GetNode()
	n := ps.node(name)
	if n == nil || n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
		return done("node gone")
	}
	rid := r.op().GetId() + "/" + strconv.Itoa(r.idx) + "/" + strconv.Itoa(int(r.step.GetAttempts()))
	if r.peek().GetRelayId() != rid {
		if busy := ps.topologyBusy(n.GetRing()); busy != "" {
			return blocked(true, "paused: %s", busy)
		}
		if !ps.isUN(n) {
			return blocked(true, "%s is %s; %s waits for it to be UN", name, ps.statusLetters(n), word)
		}
	}
	rl := ps.relayTo(n, RelayBackup)
	fill(&rl)
	res, ok := ps.relay(r, rl)
	if !ok {
		return wait(false, "%s of %s under way", word, name)
	}
	if res.Err == "" && res.Backup != nil {
		b := res.Backup
		r.step.Backup = proto.Clone(b).(*cassmesosv1.BackupNodeResult)
		verb := "uploaded"
		if word != "backup" {
			verb = "downloaded"
		}
		msg := fmt.Sprintf("%d files, %s (%s %d files, %s) in %.1fs", b.GetFiles(), mib(b.GetBytes()), verb,
			b.GetTransferredFiles(), mib(b.GetTransferredBytes()), b.GetSeconds())
		if c := b.GetCreated(); len(c) > 0 {
			msg += "; created from the backup's schema: " + strings.Join(c, ", ")
		}
		return done(msg)
	}
	if res.Err == "" {
		res.Err = "no result"
	}
	if r.peek().GetRelayTime() != nil {
		r.step.Attempts++
	}
	r.step.LastError = res.Err
	if r.step.GetAttempts() >= maxRelayAttempts {
		return failed("%s of %s failed %d times: %s", word, name, r.step.GetAttempts(), res.Err)
	}
	return wait(true, "%s of %s failed (%s); retrying", word, name, res.Err)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// RunDeleteBackup starts a DELETE_BACKUP operation: the backup's manifests and the stored files
// no other backup uses are removed (through one executor of the backup's ring), and the BACKUP
// operation is marked deleted (params.backup.deleted_by).
type RunDeleteBackup struct {
	BackupID  string
	RequestID string
}

func (RunDeleteBackup) isRequest()     {}
func (RunDeleteBackup) isMaintenance() {}

func (ps *pass) runDeleteBackupReq(req RunDeleteBackup) (Accepted, error) {
	op, r, err := ps.newDeleteBackupOp(req.BackupID, "cli")
	if err != nil {
		return Accepted{}, err
	}
	ps.putOp(op)
	return Accepted{Operation: op, Ring: r, Created: true}, nil
}

// newDeleteBackupOp builds a DELETE_BACKUP operation of a backup (not stored), or says why not.
func (ps *pass) newDeleteBackupOp(backupID, origin string) (*statev1.OperationRecord, *statev1.RingRecord, error) {
	req := RunDeleteBackup{BackupID: backupID}
	b := ps.ops[req.BackupID]
	if req.BackupID == "" || b == nil || b.GetOperation().GetKind() != opBackup {
		return nil, nil, fmt.Errorf("%w: %q is not a backup (list them with cassmesos backup list)", ErrOperationNotFound, req.BackupID)
	}
	bo := b.GetOperation()
	if d := bo.GetParams().GetBackup().GetDeletedBy(); d != "" {
		return nil, nil, refused("backup %s is already deleted (operation %s)", bo.GetId(), d)
	}
	if opActive(bo) {
		return nil, nil, refused("backup %s is %s; cancel it or wait for it to end first", bo.GetId(), bo.GetPhase())
	}
	// Unreferenced files are removed: no backup, restore or deletion may run meanwhile, of any ring.
	for _, id := range ps.opsByAge() {
		o := ps.ops[id].GetOperation()
		if k := o.GetKind(); (k == opBackup || k == opRestore || k == opDeleteBackup) && opActive(o) {
			return nil, nil, refused("%s %s of ring %s is under way; a backup is deleted only while no backup, restore or deletion runs", stepWords[stepOf(k)], id, o.GetRing())
		}
	}
	r, err := ps.liveRing(bo.GetRing())
	if err != nil {
		return nil, nil, fmt.Errorf("%w (the deletion runs through a node of the backed-up ring)", err)
	}
	var via string
	for _, n := range ps.ringNodes(bo.GetRing()) {
		if n.GetBootstrapped() && n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
			via = n.GetName()
			break
		}
	}
	if via == "" {
		return nil, nil, refused("ring %s has no node that has joined to delete backup %s through", bo.GetRing(), bo.GetId())
	}
	p := &cassmesosv1.BackupParams{BackupId: bo.GetId(), StoreUrl: bo.GetParams().GetBackup().GetStoreUrl()}
	op := ps.newOperation(opDeleteBackup, bo.GetRing(), origin, &cassmesosv1.OperationParams{DeleteBackup: p},
		[]*cassmesosv1.Step{namedStep(stepDeleteBackup, "delete-backup "+bo.GetId(), via)})
	return op, r, nil
}

func stepOf(k cassmesosv1.OperationKind) cassmesosv1.StepKind {
	switch k {
	case opRestore:
		return stepRestoreNode
	case opDeleteBackup:
		return stepDeleteBackup
	}
	return stepBackupNode
}

// stepDeleteBackupRun removes the backup through the step's node (any UN node of the ring), then
// marks the BACKUP operation deleted.
func (ps *pass) stepDeleteBackupRun(r *opRun) result {
	p := r.op().GetParams().GetDeleteBackup()
	res := ps.backupRelay(r, "delete-backup", func(rl *Relay) {
		rl.Kind = RelayDeleteBackup
		rl.DeleteBackup = &cassmesosv1.DeleteStoredBackupRequest{BackupId: p.GetBackupId(), StoreUrl: p.GetStoreUrl()}
	})
	if res.kind == resDone && ps.ops[p.GetBackupId()] != nil {
		w := ps.mutOp(p.GetBackupId())
		if bp := w.GetOperation().GetParams().GetBackup(); bp != nil {
			bp.DeletedBy = r.op().GetId()
		}
		b := r.step.GetBackup()
		res.msg = fmt.Sprintf("removed %d manifests and %d files (%s)", b.GetTransferredFiles(), b.GetFiles(), mib(b.GetBytes()))
	}
	return res
}

// retainBackups starts, for a backup schedule with keep_backups > 0 that has more backups that
// succeeded and are not deleted than that, the deletion of the oldest (one at a time: a deletion
// waits while any backup, restore or deletion runs).
func (ps *pass) retainBackups(id string, s *cassmesosv1.RepairSchedule) {
	if s.GetBackup() == nil || s.GetKeepBackups() <= 0 {
		return
	}
	var kept []string // oldest first
	for _, oid := range ps.opsByAge() {
		o := ps.ops[oid].GetOperation()
		if o.GetKind() == opBackup && o.GetOrigin() == "schedule/"+id && o.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED &&
			o.GetParams().GetBackup().GetDeletedBy() == "" {
			kept = append(kept, oid)
		}
	}
	if len(kept) <= int(s.GetKeepBackups()) {
		return
	}
	op, _, err := ps.newDeleteBackupOp(kept[0], "schedule/"+id)
	if err != nil {
		return // refused for now (something runs); the next pass tries again
	}
	ps.putOp(op)
}
