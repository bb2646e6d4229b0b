package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds the headless browser the status page test drives: $CHROMIUM, else chromium
// (Debian's package, installed by `make deps`) on PATH. It fails the test when there is none.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("status page test: no Chromium found (looked for $CHROMIUM, chromium, chromium-browser on PATH): " +
		"run `make deps` (it installs Debian's chromium package) or set CHROMIUM to a Chromium binary")
	return ""
}

// artifactDir is where screenshots go: $CASSMESOS_ARTIFACTS/<test> if set, else the test's
// artifact directory (kept with go test -artifacts).
func artifactDir(t *testing.T) string {
	if d := os.Getenv("CASSMESOS_ARTIFACTS"); d != "" {
		d = filepath.Join(d, strings.ReplaceAll(t.Name(), "/", "_"))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.ArtifactDir()
}

// TestStatusPageInABrowser: the daemon's status page, read by headless Chromium as a person
// would (a viewer's bearer token, over the daemon's HTTPS endpoint), shows the ring's three nodes
// UN and its create operation's progress, and turns a node DN (or lost) by itself, without a
// reload, when its agent dies.
func TestStatusPageInABrowser(t *testing.T) {
	t.Parallel()
	chromium := chromiumPath(t)
	w := NewWorld(t, Options{Agents: 3, NoDaemon: true})
	const token = "status-page-viewer-token-0123"
	tokens := filepath.Join(w.Dir(), "tokens")
	if err := os.WriteFile(tokens, []byte(token+",page-viewer,viewer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := w.ip(1) + ":9092"
	w.opts.DaemonFlags = append(w.opts.DaemonFlags, "--metrics-listen", addr, "--tokens-file", tokens)
	w.StartDaemon()
	out, errOut, code := w.CLI("ring", "create", "web", "--nodes", "3", "--seeds", "1", "--cpus", "0.5", "--mem", "1Gi", "--disk", "1Gi", "--wait", "--timeout", "2m")
	if code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}

	// The event stream told of the ring's creation (the engine writes events with its passes).
	out, errOut, code = w.CLI("events", "--ring", "web")
	for _, want := range []string{"RingCreated", "NodeCreated", "OperationSucceeded", "NodeUp", "ring/web", "op/"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("cassmesos events --ring web: exit %d, no %s:\n%s%s", code, want, out, errOut)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.IgnoreCertErrors, // the world's own CA; the page is what is tested
		chromedp.WindowSize(1200, 1000))...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	dir := artifactDir(t)
	shot := func(name string) {
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
			return
		}
		p := filepath.Join(dir, name+".png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Errorf("screenshot %s: %v", name, err)
			return
		}
		t.Logf("screenshot: %s", p)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.TextContent(chromedp.CSS(sel)))
		if err != nil {
			shot("status-error")
			t.Fatalf("reading %s on the page: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}

	// Without credentials the page is refused.
	if err := chromedp.Do(bctx, chromedp.Navigate("https://"+addr+"/status")); err != nil {
		t.Fatalf("opening the page without a token: %v", err)
	}
	if refused := text("body"); !strings.Contains(refused, "no credentials") {
		t.Fatalf("the page without a token shows %q; want it refused", refused)
	}

	// The node names and states a person reads on the picture, by node.
	states := func() map[string]string {
		t.Helper()
		pairs, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('section.ring[data-ring="web"] svg g.node')).map(g => g.querySelector('text.label').textContent.replace(' (seed)', '') + '=' + g.querySelector('text.state').textContent)`))
		if err != nil {
			t.Fatalf("reading the picture: %v", err)
		}
		m := map[string]string{}
		for _, p := range pairs {
			k, v, _ := strings.Cut(p, "=")
			m[k] = v
		}
		return m
	}
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": "Bearer " + token}}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate("https://"+addr+"/status"), chromedp.WaitVisible(chromedp.CSS(`section.ring[data-ring="web"] svg`))); err != nil {
		shot("status-error")
		t.Fatalf("opening the status page: %v", err)
	}
	summary, progress := text(`section.ring[data-ring="web"] .summary`), text(`section.ring[data-ring="web"] .op .op-progress`)
	got := states()
	if len(got) != 3 || got["web-0"] != "UN" || got["web-1"] != "UN" || got["web-2"] != "UN" {
		shot("status-initial")
		t.Fatalf("the picture shows nodes %v; want web-0, web-1, web-2 all UN", got)
	}
	if !strings.Contains(summary, "3/3 nodes UN") || progress != "3/3 (100%)" {
		shot("status-initial")
		t.Fatalf("summary %q, create operation progress %q; want 3/3 nodes UN and 3/3 (100%%)", summary, progress)
	}
	shot("status-healthy")

	// A node goes down: its agent dies. The open page shows it on its own.
	victim := ""
	for _, n := range w.Ring("web").GetNodes() {
		if !n.GetSeed() {
			victim = n.GetName()
			w.KillAgent(agentIndex(w, n.GetAddress(), 3))
			break
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got = states()
		if s := got[victim]; s == "DN" || s == "lost" {
			break
		}
		if time.Now().After(deadline) {
			shot("status-no-update")
			t.Fatalf("30 s after %s's agent died the open page shows %v; want %s DN or lost", victim, got, victim)
		}
		if err := chromedp.Do(bctx, chromedp.Sleep(250*time.Millisecond)); err != nil { // polling the DOM
			t.Fatal(err)
		}
	}
	if conn := text("#conn"); !strings.Contains(conn, "updated") {
		t.Fatalf("the page's live indicator says %q; want it updated by the page's own re-read", conn)
	}
	shot("status-node-down")
	if ev := text(`section.events`); !strings.Contains(ev, "Warning") || !strings.Contains(ev, "node/"+victim) {
		t.Fatalf("the page's recent events show no warning about %s:\n%s", victim, ev)
	}
	out, errOut, code = w.CLI("events", "--ring", "web", "-o", "json")
	if code != 0 || !strings.Contains(out, `"EVENT_TYPE_WARNING"`) || !strings.Contains(out, `"node": "`+victim+`"`) {
		t.Fatalf("cassmesos events -o json after %s went down: exit %d\n%s%s", victim, code, out, errOut)
	}
	t.Logf("status page: %s shown %s, %v", victim, got[victim], got)

}
