package plan

import (
	"errors"
	"strings"
	"testing"
	"time"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// The cron parser slices past the end of a TZ= or CRON_TZ= prefix with no space after it.
func TestParseCronTimeZonePrefix(t *testing.T) {
	for _, expr := range []string{"TZ=UTC", "CRON_TZ=UTC", " TZ=UTC ", "TZ=UTC\t0 2 * * *", "TZ=", "CRON_TZ=", "TZ= 0 2 * * *", "TZ=UTC @every 1s"} {
		if _, err := ParseCron(expr); err == nil {
			t.Errorf("ParseCron(%q) accepted", expr)
		} else if !strings.Contains(err.Error(), "cron") {
			t.Errorf("ParseCron(%q): %v does not name the cron expression", expr, err)
		}
	}
	for _, expr := range []string{"TZ=UTC 0 2 * * *", "CRON_TZ=UTC @daily", "0 2 * * *"} {
		if _, err := ParseCron(expr); err != nil {
			t.Errorf("ParseCron(%q): %v", expr, err)
		}
	}
}

func TestCreateScheduleRefusesTimeZoneWithoutSchedule(t *testing.T) {
	now := time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)
	s := unRing(3, now)
	p := New(Config{Location: time.UTC}, &seqIDs{})
	acc, err := p.Submit(s, CreateSchedule{Schedule: &cassmesosv1.RepairSchedule{Ring: "demo", Cron: "TZ=UTC", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "schedule.cron") {
		t.Fatalf("err %v, want ErrInvalid naming schedule.cron", err)
	}
	if len(acc.Plan.Writes) != 0 {
		t.Fatalf("writes %v", acc.Plan.Writes)
	}
	// A stored schedule with such an expression is reported, not a crash.
	s.Schedules["s-bad"] = &statev1.ScheduleRecord{Schedule: &cassmesosv1.RepairSchedule{Id: "s-bad", Ring: "demo", Cron: "CRON_TZ=UTC"}}
	step(p, s)
	if r := s.Schedules["s-bad"].GetSchedule().GetLastSkipReason(); !strings.HasPrefix(r, "bad schedule: ") {
		t.Fatalf("skip reason %q", r)
	}
}
