package statuspage

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/server"
	"github.com/cassmesos/cassmesos/zkstate"
)

//go:embed assets
var assets embed.FS

var tmpl = template.Must(template.New("page").ParseFS(assets, "assets/page.html"))

// DefaultRefresh is how often the page re-reads its content.
const DefaultRefresh = 2 * time.Second

// eventsShown is how many recent events the page lists.
const eventsShown = 50

// Options configure the status page.
type Options struct {
	// Leadership gives the leader's engine (nil Backend: a standby).
	Leadership server.Leadership
	// Events reads the event log (nil: no events shown).
	Events server.EventLog
	// Refresh is how often the page re-reads its content (default DefaultRefresh).
	Refresh time.Duration
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

type handler struct {
	opts Options
	mux  *http.ServeMux
}

// New returns the status page's handler. Its routes: /status (the page), /status/fragment (its
// content, which the page re-reads), /status.json (the same as JSON), /status/app.js and
// /status/style.css. It only reads. Put it behind authentication (authz.RequireHTTP).
func New(opts Options) http.Handler {
	if opts.Refresh <= 0 {
		opts.Refresh = DefaultRefresh
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &handler{opts: opts, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /status", h.page)
	h.mux.HandleFunc("GET /status/fragment", h.fragment)
	h.mux.HandleFunc("GET /status.json", h.json)
	h.mux.HandleFunc("GET /status/app.js", h.asset("assets/app.js", "text/javascript; charset=utf-8"))
	h.mux.HandleFunc("GET /status/style.css", h.asset("assets/style.css", "text/css; charset=utf-8"))
	return h
}

// Paths are the paths to route to the handler.
var Paths = []string{"/status", "/status/", "/status.json"}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			h.opts.Logger.Error("status page panicked", "path", r.URL.Path, "panic", v)
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// Snapshot reads the page's content.
func (h *handler) Snapshot(ctx context.Context) Page {
	now := h.opts.Now()
	p := Page{Generated: now.UTC(), Rings: []Ring{}, Events: []Event{}}
	b := h.opts.Leadership.Backend()
	if b == nil {
		p.LeaderAddress = h.opts.Leadership.LeaderAddress()
	} else {
		p.Leader = true
		if err := b.Read(ctx, func(st *plan.State) { p.Rings = build(st, now) }); err != nil {
			p.Leader, p.LeaderAddress = false, h.opts.Leadership.LeaderAddress()
		}
	}
	if h.opts.Events != nil {
		evs, err := h.opts.Events.ListEvents(ctx, zkstate.EventFilter{Limit: eventsShown})
		if err != nil {
			p.EventsError = err.Error()
		} else {
			p.Events = eventsOf(evs, now)
		}
	}
	return p
}

func (h *handler) render(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		h.opts.Logger.Error("status page: rendering failed", "err", err)
		http.Error(w, "rendering failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	h.render(w, "page", struct {
		Page          Page
		RefreshMillis int64
		RefreshText   string
	}{h.Snapshot(r.Context()), h.opts.Refresh.Milliseconds(), h.opts.Refresh.String()})
}

func (h *handler) fragment(w http.ResponseWriter, r *http.Request) {
	h.render(w, "content", h.Snapshot(r.Context()))
}

func (h *handler) json(w http.ResponseWriter, r *http.Request) {
	b, err := json.MarshalIndent(h.Snapshot(r.Context()), "", "  ")
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}

func (h *handler) asset(name, ctype string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := assets.ReadFile(name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ctype)
		_, _ = w.Write(b)
	}
}
