// cassmesos status page: re-reads the server-rendered content every few seconds. The content is
// HTML rendered (and escaped) by the daemon's html/template, same origin, same credentials.
(function () {
  "use strict";
  var main = document.getElementById("content");
  var conn = document.getElementById("conn");
  var every = parseInt(main.getAttribute("data-refresh"), 10) || 2000;
  function tick() {
    fetch("/status/fragment", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.text();
      })
      .then(function (html) {
        main.innerHTML = html;
        conn.textContent = "live: updated " + new Date().toLocaleTimeString();
        conn.className = "conn";
      })
      .catch(function (e) {
        conn.textContent = "update failed (" + e.message + "); retrying";
        conn.className = "conn stale";
      })
      .then(function () { setTimeout(tick, every); });
  }
  setTimeout(tick, every);
})();
