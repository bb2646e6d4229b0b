package daemon

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHealthz(t *testing.T) {
	h := &healthz{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(method string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/healthz", nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(http.MethodGet); code != 200 || body != "starting\n" {
		t.Errorf("before the election: %d %q", code, body)
	}
	leading, addr := false, "10.0.0.1:9090"
	h.setRole(func() string { return leaderRole(leading, addr) })
	if code, body := get(http.MethodGet); code != 200 || body != "standby; leader at 10.0.0.1:9090\n" {
		t.Errorf("standby: %d %q", code, body)
	}
	leading = true
	if code, body := get(http.MethodGet); code != 200 || body != "leader\n" {
		t.Errorf("leader: %d %q", code, body)
	}
	if code, _ := get(http.MethodPost); code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", code)
	}
}
