package mesossim

import (
	"strings"
	"testing"
	"time"

	"github.com/gogo/protobuf/proto"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/extras/store"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

func multiRoleInfo(name string, roles ...string) *mesos.FrameworkInfo {
	info := frameworkInfo(name, 3600, mesos.FrameworkInfo_Capability_MULTI_ROLE, mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT)
	info.Role = nil
	info.Roles = roles
	return info
}

func allocated(r mesos.Resource, role string) mesos.Resource {
	r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String(role)}
	return r
}

func offerOfRole(role string) func(mesos.Offer) bool {
	return func(o mesos.Offer) bool { return o.GetAllocationInfo().GetRole() == role }
}

func hasReservationFor(o mesos.Offer, role string) bool {
	for _, r := range o.Resources {
		if r.ReservationRole() == role {
			return true
		}
	}
	return false
}

// A MULTI_ROLE framework gets offers per agent and role, each (and each of its resources)
// carrying allocation_info; operations must use the offers' role, as Mesos requires: a RESERVE
// whose resources name another allocation role, or whose reservation role is not the offers'
// role, is dropped (OPERATION_ERROR with an id); a task whose resources name another role gets
// TASK_ERROR; a RESERVE for the offers' role is made and offered to that role only.
func TestMultiRoleAllocationInfo(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	sched := startSched(t, sim, multiRoleInfo("multi", "ra", "rb"), store.NewInMemorySingleton(), codecs.ByMediaType[codecs.MediaTypeProtobuf].Type)
	sched.waitSubscribed(0)

	// The agent's unreserved resources go to one role at a time; declining them for long hands
	// them to the other.
	oa := sched.waitOffer(0, "of role ra", offerOfRole("ra"))
	for _, r := range oa.Resources {
		if r.GetAllocationInfo().GetRole() != "ra" {
			t.Fatalf("resource %s of an offer to ra carries allocation_info %v", mesos.Resources{r}, r.GetAllocationInfo())
		}
	}

	// RESERVE with resources allocated to rb on ra's offer: dropped.
	m := sched.mark()
	bad := allocated(reserved(scalar("cpus", 1), "rb", "cass-principal"), "rb")
	op := calls.OpReserve(bad)
	op.ID = &mesos.OperationID{Value: "op-bad-alloc"}
	sched.mustCall(calls.Accept(calls.OfferOperations{op}.WithOffers(oa.ID)).With(calls.RefuseSeconds(0)))
	ev := sched.waitEvent(m, 10*time.Second, "OPERATION_ERROR for op-bad-alloc", func(e *scheduler.Event) bool {
		return e.Type == scheduler.Event_UPDATE_OPERATION_STATUS && e.GetUpdateOperationStatus().Status.GetOperationID().GetValue() == "op-bad-alloc"
	})
	if st := ev.GetUpdateOperationStatus().Status; st.State != mesos.OPERATION_ERROR || !strings.Contains(st.GetMessage(), "allocated to role 'rb'") {
		t.Fatalf("operation status = %s %q, want OPERATION_ERROR naming role rb", st.State, st.GetMessage())
	}

	// RESERVE for rb with allocation_info left out on ra's offer (the master injects ra): the
	// reservation role is not the allocation role, dropped.
	oa = sched.freshOffer("of role ra", offerOfRole("ra"))
	m = sched.mark()
	op = calls.OpReserve(reserved(scalar("cpus", 1), "rb", "cass-principal"))
	op.ID = &mesos.OperationID{Value: "op-bad-role"}
	sched.mustCall(calls.Accept(calls.OfferOperations{op}.WithOffers(oa.ID)).With(calls.RefuseSeconds(0)))
	ev = sched.waitEvent(m, 10*time.Second, "OPERATION_ERROR for op-bad-role", func(e *scheduler.Event) bool {
		return e.Type == scheduler.Event_UPDATE_OPERATION_STATUS && e.GetUpdateOperationStatus().Status.GetOperationID().GetValue() == "op-bad-role"
	})
	if st := ev.GetUpdateOperationStatus().Status; st.State != mesos.OPERATION_ERROR {
		t.Fatalf("operation status = %s %q, want OPERATION_ERROR", st.State, st.GetMessage())
	}

	// A task whose resources are allocated to rb, launched on ra's offer: TASK_ERROR.
	oa = sched.freshOffer("of role ra", offerOfRole("ra"))
	m = sched.mark()
	ex := executorInfo("ex-bad")
	task := customTask("t-bad", oa, ex, "", allocated(scalar("cpus", 0.5), "rb"), allocated(scalar("mem", 64), "rb"))
	sched.mustCall(launch(oa, task))
	if st := sched.waitUpdate(m, "t-bad", mesos.TASK_ERROR); st.GetReason() != mesos.REASON_TASK_INVALID {
		t.Fatalf("t-bad: reason %s, want REASON_TASK_INVALID", st.GetReason())
	}

	// A proper RESERVE for ra (allocation_info ra) is made, and offered to ra only.
	oa = sched.freshOffer("of role ra", offerOfRole("ra"))
	sched.mustCall(calls.Accept(calls.OfferOperations{calls.OpReserve(allocated(reserved(scalar("cpus", 1), "ra", "cass-principal"), "ra"))}.WithOffers(oa.ID)).With(calls.RefuseSeconds(0)))
	sched.freshOffer("of role ra with its reservation", func(o mesos.Offer) bool {
		return offerOfRole("ra")(o) && hasReservationFor(o, "ra")
	})

	// Decline ra's offer for long: the unreserved resources go to rb, without ra's reservation.
	// (An offer to ra may still be on its way: each round declines every offer seen.)
	var ob mesos.Offer
	for round := 0; ; round++ {
		if round == 10 {
			t.Fatalf("no offer of role rb; events: %s", sched.summary())
		}
		m = sched.mark()
		sched.mustCall(calls.Decline(sched.offerIDs(0)...).With(calls.RefuseSeconds(time.Hour)))
		var ok bool
		if ob, ok = sched.tryWaitOffer(m, 2*time.Second, offerOfRole("rb")); ok {
			break
		}
	}
	if hasReservationFor(ob, "ra") {
		t.Fatalf("offer to rb holds ra's reservation: %s", mesos.Resources(ob.Resources))
	}
	for _, r := range ob.Resources {
		if r.GetAllocationInfo().GetRole() != "rb" {
			t.Fatalf("resource %s of an offer to rb carries allocation_info %v", mesos.Resources{r}, r.GetAllocationInfo())
		}
	}
}

// A framework that re-subscribes with another set of roles gets offers for the new roles only
// (Mesos applies FrameworkInfo.roles at re-SUBSCRIBE).
func TestMultiRoleResubscribeChangesRoles(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	fid := store.NewInMemorySingleton()
	sched := startSched(t, sim, multiRoleInfo("multi", "ra"), fid, codecs.ByMediaType[codecs.MediaTypeProtobuf].Type)
	sched.waitSubscribed(0)
	sched.waitOffer(0, "of role ra", offerOfRole("ra"))
	sched.stop()

	id, err := fid.Get()
	if err != nil || id == "" {
		t.Fatalf("framework ID not stored: %q %v", id, err)
	}
	info := multiRoleInfo("multi", "rc")
	info.ID = &mesos.FrameworkID{Value: id}
	again := startSched(t, sim, info, fid, codecs.ByMediaType[codecs.MediaTypeProtobuf].Type)
	if got := again.waitSubscribed(0); got != id {
		t.Fatalf("re-subscribed as %q, want %q", got, id)
	}
	o := again.waitOffer(0, "of role rc", anyOffer)
	if r := o.GetAllocationInfo().GetRole(); r != "rc" {
		t.Fatalf("offer after re-subscribing with roles [rc] is allocated to %q", r)
	}
}
