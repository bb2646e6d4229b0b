package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Metrics is the daemon's collector set.
type Metrics struct {
	Registry *prometheus.Registry

	offers        *prometheus.CounterVec
	persistFailed prometheus.Counter
	tasks         *prometheus.GaugeVec
	nodes         *prometheus.GaugeVec
	operations    *prometheus.GaugeVec
	zkWrites      *prometheus.HistogramVec
	subscriptions prometheus.Counter
	disconnects   prometheus.Counter
	calls         *prometheus.CounterVec
	lastRepair    *prometheus.GaugeVec
	repairAge     *prometheus.GaugeVec
	segments      *prometheus.GaugeVec
	panics        prometheus.Counter
	inconsistent  prometheus.Gauge
	unclaimed     prometheus.Counter
}

// New registers every metric on a fresh registry (plus the Go and process collectors).
func New() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.offers = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cassmesos_offers_total", Help: "Offers by outcome (received, accepted, declined)."}, []string{"outcome"})
	m.persistFailed = prometheus.NewCounter(prometheus.CounterOpts{Name: "cassmesos_persist_failures_total", Help: "Plans not carried out because persisting their writes failed."})
	m.tasks = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "cassmesos_tasks", Help: "Known tasks by latest state."}, []string{"state"})
	m.nodes = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "cassmesos_nodes", Help: "Nodes by ring and phase."}, []string{"ring", "phase"})
	m.operations = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "cassmesos_operations", Help: "Operations by kind and phase."}, []string{"kind", "phase"})
	m.zkWrites = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "cassmesos_zk_write_seconds", Help: "ZooKeeper write latency by operation and outcome.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"op", "outcome"})
	m.subscriptions = prometheus.NewCounter(prometheus.CounterOpts{Name: "cassmesos_mesos_subscriptions_total", Help: "Successful Mesos subscriptions."})
	m.disconnects = prometheus.NewCounter(prometheus.CounterOpts{Name: "cassmesos_mesos_disconnects_total", Help: "Ended Mesos subscriptions."})
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cassmesos_mesos_calls_total", Help: "Scheduler calls by type and outcome."}, []string{"type", "outcome"})
	m.lastRepair = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "cassmesos_last_repair_timestamp_seconds", Help: "End of the last complete repair per ring."}, []string{"ring"})
	m.repairAge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "cassmesos_repair_age_seconds",
		Help: "Seconds since the ring's last complete repair ended (since its creation when never repaired); alert above gc_grace_seconds (864000)."}, []string{"ring"})
	m.segments = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "cassmesos_repair_segments", Help: "Segments of active repairs by ring and phase."}, []string{"ring", "phase"})
	m.panics = prometheus.NewCounter(prometheus.CounterOpts{Name: "cassmesos_planner_panics_total",
		Help: "Planning passes that panicked (recovered: nothing of them was persisted or done; the stack is in the log)."})
	m.inconsistent = prometheus.NewGauge(prometheus.GaugeOpts{Name: "cassmesos_inconsistent_records",
		Help: "Records in ZooKeeper the planner skips because they are inconsistent (named in the log and the rings' warnings)."})
	m.unclaimed = prometheus.NewCounter(prometheus.CounterOpts{Name: "cassmesos_unclaimed_reservations_total",
		Help: "Reservations carrying this framework's ID that no record names, seen in offers (each agent and persistence ID once per daemon run; left alone, named in the log)."})
	m.Registry.MustRegister(m.panics, m.inconsistent, m.unclaimed, m.offers, m.persistFailed, m.tasks, m.nodes, m.operations, m.zkWrites, m.subscriptions, m.disconnects, m.calls, m.lastRepair,
		m.repairAge, m.segments,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// OffersReceived counts offers received.
func (m *Metrics) OffersReceived(n int) { m.offers.WithLabelValues("received").Add(float64(n)) }

// OffersDeclined counts declined offers.
func (m *Metrics) OffersDeclined(n int) { m.offers.WithLabelValues("declined").Add(float64(n)) }

// OffersAccepted counts accepted offers.
func (m *Metrics) OffersAccepted(n int) { m.offers.WithLabelValues("accepted").Add(float64(n)) }

// PersistFailed counts plans dropped because persisting failed.
func (m *Metrics) PersistFailed() { m.persistFailed.Inc() }

// PlannerPanicked counts a planning pass that panicked.
func (m *Metrics) PlannerPanicked() { m.panics.Inc() }

// UnclaimedReservation counts one reservation of this framework that no record names.
func (m *Metrics) UnclaimedReservation() { m.unclaimed.Inc() }

// InconsistentRecords sets how many records the planner skips as inconsistent.
func (m *Metrics) InconsistentRecords(n int) { m.inconsistent.Set(float64(n)) }

var taskStateNames = map[plan.TaskState]string{
	plan.TaskUnknown: "unknown", plan.TaskStaging: "staging", plan.TaskStarting: "starting", plan.TaskRunning: "running",
	plan.TaskKilling: "killing", plan.TaskFinished: "finished", plan.TaskFailed: "failed", plan.TaskKilled: "killed",
	plan.TaskError: "error", plan.TaskLost: "lost", plan.TaskDropped: "dropped", plan.TaskUnreachable: "unreachable",
	plan.TaskGone: "gone", plan.TaskGoneByOperator: "gone_by_operator",
}

// StateChanged recomputes the gauges from the engine's state (called on the loop goroutine).
func (m *Metrics) StateChanged(s *plan.State) {
	m.tasks.Reset()
	for _, t := range s.Tasks {
		m.tasks.WithLabelValues(taskStateNames[t.State]).Inc()
	}
	m.nodes.Reset()
	for _, n := range s.Nodes {
		m.nodes.WithLabelValues(n.GetRing(), n.GetPhase().String()).Inc()
	}
	m.operations.Reset()
	for _, o := range s.Operations {
		m.operations.WithLabelValues(o.GetOperation().GetKind().String(), o.GetOperation().GetPhase().String()).Inc()
	}
	m.repairAge.Reset()
	for name, r := range s.Rings {
		base := r.GetCreateTime()
		if t := r.GetStatus().GetLastRepairTime(); t != nil {
			m.lastRepair.WithLabelValues(name).Set(float64(t.AsTime().Unix()))
			base = t
		}
		if base != nil && !s.Now.IsZero() {
			m.repairAge.WithLabelValues(name).Set(s.Now.Sub(base.AsTime()).Seconds())
		}
	}
	m.segments.Reset()
	for id, segs := range s.Segments {
		o := s.Operations[id].GetOperation()
		if o == nil || o.GetPhase() >= cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
			continue
		}
		for _, sg := range segs {
			m.segments.WithLabelValues(o.GetRing(), sg.GetSegment().GetPhase().String()).Inc()
		}
	}
}

// ZKWrite observes one ZooKeeper write.
func (m *Metrics) ZKWrite(op string, d time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.zkWrites.WithLabelValues(op, outcome).Observe(d.Seconds())
}

// Subscribed counts a subscription.
func (m *Metrics) Subscribed(string) { m.subscriptions.Inc() }

// Disconnected counts an ended subscription.
func (m *Metrics) Disconnected(string) { m.disconnects.Inc() }

// Called counts a scheduler call.
func (m *Metrics) Called(callType string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.calls.WithLabelValues(callType, outcome).Inc()
}
