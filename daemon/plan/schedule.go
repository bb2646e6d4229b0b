package plan

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// CreateSchedule persists a repair schedule (its ID, creation and next run time are assigned).
type CreateSchedule struct {
	Schedule *cassmesosv1.RepairSchedule
	// RequestID is the client's request ID ("": none); see requestid.go.
	RequestID string
}

// DeleteSchedule removes a repair schedule; a run it started goes on.
type DeleteSchedule struct{ ID, RequestID string }

func (CreateSchedule) isRequest()     {}
func (DeleteSchedule) isRequest()     {}
func (CreateSchedule) isMaintenance() {}
func (DeleteSchedule) isMaintenance() {}

// ParseCron parses a schedule's cron expression: 5 fields, a descriptor (@daily) or
// "@every <duration>" (at least one minute), optionally after a "TZ=<zone> " or
// "CRON_TZ=<zone> " prefix. Errors name the expression (`cron "TZ=UTC": ...`).
func ParseCron(expr string) (cron.Schedule, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, fmt.Errorf("empty cron expression")
	}
	if err := checkCronZone(expr); err != nil {
		return nil, fmt.Errorf("cron %q: %w", expr, err)
	}
	s, err := parseStandardCron(expr)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w", expr, err)
	}
	if c, ok := s.(cron.ConstantDelaySchedule); ok && c.Delay < time.Minute {
		return nil, fmt.Errorf("cron %q: runs must be at least a minute apart", expr)
	}
	return s, nil
}

// checkCronZone checks the form of a time zone prefix, which the cron parser slices without
// checking: "TZ=<zone> <schedule>" or "CRON_TZ=<zone> <schedule>", zone and schedule not empty,
// separated by a space.
func checkCronZone(expr string) error {
	var rest string
	switch {
	case strings.HasPrefix(expr, "TZ="):
		rest = expr[len("TZ="):]
	case strings.HasPrefix(expr, "CRON_TZ="):
		rest = expr[len("CRON_TZ="):]
	default:
		return nil
	}
	zone, sched, ok := strings.Cut(rest, " ")
	if zone == "" || strings.ContainsFunc(zone, unicode.IsSpace) {
		return fmt.Errorf("a time zone prefix wants TZ=<zone> <schedule>")
	}
	if !ok || strings.TrimSpace(sched) == "" {
		return fmt.Errorf("time zone %s with no schedule after it", zone)
	}
	return nil
}

// parseStandardCron calls the cron parser, turning a panic in it into an error.
func parseStandardCron(expr string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("unparsable (the cron parser failed: %v)", r)
		}
	}()
	return cron.ParseStandard(expr)
}

// Window is a daily time window "HH:MM-HH:MM" (it may wrap past midnight).
type Window struct{ start, end int } // minutes of the day

// ParseWindow parses "HH:MM-HH:MM"; "" is an error (callers treat an empty window as "any time").
func ParseWindow(s string) (Window, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Window{}, fmt.Errorf("window %q: want HH:MM-HH:MM", s)
	}
	st, err := parseClock(a)
	if err != nil {
		return Window{}, fmt.Errorf("window %q: %w", s, err)
	}
	en, err := parseClock(b)
	if err != nil {
		return Window{}, fmt.Errorf("window %q: %w", s, err)
	}
	if st == en {
		return Window{}, fmt.Errorf("window %q: start and end are the same", s)
	}
	return Window{st, en}, nil
}

func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 23 || m > 59 || h < 0 || m < 0 {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return h*60 + m, nil
}

// Contains reports whether t (in the schedule's zone) is inside the window.
func (w Window) Contains(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	if w.start < w.end {
		return m >= w.start && m < w.end
	}
	return m >= w.start || m < w.end
}

// NextOpen returns the next time at or after t the window opens (t itself if inside).
func (w Window) NextOpen(t time.Time) time.Time {
	if w.Contains(t) {
		return t
	}
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	open := day.Add(time.Duration(w.start) * time.Minute)
	if !open.After(t) {
		open = day.AddDate(0, 0, 1).Add(time.Duration(w.start) * time.Minute)
	}
	return open
}

func (ps *pass) loc() *time.Location {
	if ps.p.cfg.Location != nil {
		return ps.p.cfg.Location
	}
	return time.Local
}

// ScheduleDecision is what a due schedule does at now.
type ScheduleDecision struct {
	// Due is true when the next run time has come.
	Due bool
	// Start is true when a run starts; otherwise Skip says why a due run is skipped.
	Start bool
	Skip  string
	// Next is the next run time after this decision.
	Next time.Time
}

// DecideSchedule is the pure schedule evaluation: given the schedule, its parsed cron, now (in
// the schedule's zone), whether the ring can be repaired (ringProblem "" if so) and the ID of a
// repair of the ring still running (""), it says whether a run starts, is skipped (and why), and
// when the next one is due. Runs missed while the daemon was down collapse into one.
func DecideSchedule(s *cassmesosv1.RepairSchedule, spec cron.Schedule, now time.Time, ringProblem, runningRepair string) ScheduleDecision {
	next := s.GetNextRunTime().AsTime().In(now.Location())
	if s.GetNextRunTime() == nil {
		base := s.GetCreateTime().AsTime()
		if s.GetLastRunTime() != nil && s.GetLastRunTime().AsTime().After(base) {
			base = s.GetLastRunTime().AsTime()
		}
		next = spec.Next(base.In(now.Location()))
	}
	if now.Before(next) {
		return ScheduleDecision{Next: next}
	}
	d := ScheduleDecision{Due: true, Next: spec.Next(now)}
	due := next.Format(time.RFC3339)
	switch {
	case ringProblem != "":
		d.Skip = "run due " + due + " skipped: " + ringProblem
	case runningRepair != "":
		d.Skip = "run due " + due + " skipped: repair " + runningRepair + " is still running"
	case s.GetWindow() != "":
		w, err := ParseWindow(s.GetWindow())
		if err != nil {
			d.Skip = "run due " + due + " skipped: " + err.Error()
		} else if !w.Contains(now) {
			d.Skip = "run due " + due + " skipped: " + now.Format("15:04") + " is outside the window " + s.GetWindow()
		} else {
			d.Start = true
		}
	default:
		d.Start = true
	}
	return d
}

// runSchedules starts the repair runs schedules call for (and the automatic cleanups).
func (ps *pass) runSchedules() {
	ps.autoCleanup()
	if len(ps.s.Schedules) == 0 && ps.mnt == nil {
		return
	}
	now := ps.now.In(ps.loc())
	for _, id := range sortedKeys(ps.m().scheds) {
		rec := ps.schedule(id)
		s := rec.GetSchedule()
		if err := ValidateSchedule(s); err != nil {
			if s.GetLastSkipReason() != "bad schedule: "+err.Error() {
				ps.mutSchedule(id).Schedule.LastSkipReason = "bad schedule: " + err.Error()
			}
			continue
		}
		ps.retainBackups(id, s)
		spec, _ := ParseCron(s.GetCron())
		problem := ""
		if r := ps.ring(s.GetRing()); r == nil {
			problem = "ring " + s.GetRing() + " does not exist"
		} else if r.GetDeleting() {
			problem = "ring " + s.GetRing() + " is being deleted"
		} else if UsesAutoRepair(r.GetSpec()) && s.GetBackup() == nil {
			problem = "ring " + s.GetRing() + " is repaired by Cassandra's Auto Repair"
		}
		running := ps.activeRepair(s.GetRing())
		if s.GetBackup() != nil {
			running = ps.activeBackup(s.GetRing())
		}
		d := DecideSchedule(s, spec, now, problem, running)
		if s.GetBackup() != nil && running != "" {
			d.Skip = strings.Replace(d.Skip, ": repair "+running, ": backup "+running, 1)
		}
		if !d.Due {
			if s.GetNextRunTime() == nil {
				ps.mutSchedule(id).Schedule.NextRunTime = timestamppb.New(d.Next)
			}
			ps.wakeAt(d.Next)
			continue
		}
		w := ps.mutSchedule(id).Schedule
		w.NextRunTime = timestamppb.New(d.Next)
		ps.wakeAt(d.Next)
		if !d.Start {
			w.LastSkipReason = d.Skip
			continue
		}
		var op *statev1.OperationRecord
		if s.GetBackup() != nil {
			var err error
			if op, err = ps.newBackupOp(s.GetRing(), "schedule/"+id, s.GetBackup()); err != nil {
				w.LastSkipReason = "run due " + d.Next.Format(time.RFC3339) + " skipped: " + err.Error()
				continue
			}
		} else {
			op = ps.newRepairOp(s.GetRing(), "schedule/"+id, RepairDefaults(s.GetParams()))
		}
		if s.GetWindow() != "" {
			opState(op).Window = s.GetWindow()
		}
		ps.putOp(op)
		w.LastRunTime = ps.ts()
		w.LastRunOperationId = op.GetOperation().GetId()
		w.LastSkipReason = ""
	}
}

// ValidateSchedule checks a schedule request; errors wrap ErrInvalid and name the field.
func ValidateSchedule(s *cassmesosv1.RepairSchedule) error {
	if s == nil {
		return fmt.Errorf("%w: schedule: required", ErrInvalid)
	}
	if _, err := ParseCron(s.GetCron()); err != nil {
		return fmt.Errorf("%w: schedule.cron: %v", ErrInvalid, err)
	}
	if s.GetWindow() != "" {
		if _, err := ParseWindow(s.GetWindow()); err != nil {
			return fmt.Errorf("%w: schedule.window: %v", ErrInvalid, err)
		}
	}
	if s.GetKeepBackups() < 0 || (s.GetKeepBackups() > 0 && s.GetBackup() == nil) {
		return fmt.Errorf("%w: schedule.keep_backups: %d: want 0 or more, on a backup schedule", ErrInvalid, s.GetKeepBackups())
	}
	if b := s.GetBackup(); b != nil {
		return validateBackupParams("schedule.backup", b)
	}
	return ValidateRepairParams("schedule.params", s.GetParams())
}

func (ps *pass) createScheduleReq(req CreateSchedule) (Accepted, error) {
	if req.Schedule == nil {
		return Accepted{}, fmt.Errorf("%w: schedule: required", ErrInvalid)
	}
	r, err := ps.liveRing(req.Schedule.GetRing())
	if err != nil {
		return Accepted{}, err
	}
	if err := ValidateSchedule(req.Schedule); err != nil {
		return Accepted{}, err
	}
	s := proto.Clone(req.Schedule).(*cassmesosv1.RepairSchedule)
	if s.GetBackup() != nil {
		// A backup schedule: the store must resolve now (the request's or the daemon's default).
		if s.Backup.StoreUrl, err = ps.storeURL("schedule.backup.store_url", s.GetBackup().GetStoreUrl()); err != nil {
			return Accepted{}, err
		}
	} else {
		if err := refuseCassmesosRepair(r); err != nil {
			return Accepted{}, err
		}
		s.Params = RepairDefaults(s.GetParams())
	}
	s.Id = "s-" + strings.ToLower(ps.p.ids.NewID())
	s.Cron = strings.TrimSpace(s.Cron)
	s.CreateTime = ps.ts()
	s.LastRunTime, s.LastRunOperationId, s.LastSkipReason = nil, "", ""
	spec, _ := ParseCron(s.GetCron())
	s.NextRunTime = timestamppb.New(spec.Next(ps.now.In(ps.loc())))
	ps.putSchedule(&statev1.ScheduleRecord{Schedule: s})
	return Accepted{Ring: r, Created: true, Schedule: s}, nil
}

func (ps *pass) deleteScheduleReq(req DeleteSchedule) (Accepted, error) {
	if ps.schedule(req.ID) == nil {
		return Accepted{}, fmt.Errorf("%w: %s", ErrScheduleNotFound, req.ID)
	}
	s := ps.schedule(req.ID).GetSchedule()
	ps.deleteSchedule(req.ID)
	return Accepted{Created: true, Schedule: s}, nil
}
