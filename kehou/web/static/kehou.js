/* Page behaviour without inline script (the Content-Security-Policy allows scripts from this origin only):
   - a form (or the button that sends it) with data-confirm="…" asks that question before it is sent;
   - a button with data-print prints the page;
   - the report dashboard's job table (table#jobs) follows queued and running jobs until they finish.
   Texts come from the page (data attributes), so this file has none of its own. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target, sender = event.submitter;
    var ask = (sender && sender.dataset && sender.dataset.confirm) || (form instanceof HTMLFormElement && form.dataset.confirm);
    if (ask && !window.confirm(ask)) {
      event.preventDefault();
    }
  }, true);
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) { window.print(); }
  });

  function followJobs(table) {
    var labels = JSON.parse(table.dataset.labels || "{}"), download = table.dataset.download || "";
    function busy() { return document.querySelector('tr.job[data-status="queued"], tr.job[data-status="running"]'); }
    function poll(row) {
      fetch("/county/outcomes/jobs/" + row.dataset.job, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); }).then(function (j) {
          row.dataset.status = j.status;
          row.querySelector("progress").value = j.progress;
          row.querySelector(".pct").textContent = j.progress + "%";
          row.querySelector(".stage").textContent = j.stage;
          row.querySelector(".status").textContent = (labels[j.status] || j.status) + (j.status === "failed" ? "：" + j.error : "");
          if (j.status === "done") {
            var a = document.createElement("a");
            a.href = "/county/outcomes/jobs/" + j.id + "/download";
            a.textContent = download;
            row.querySelector(".link").replaceChildren(a);
            if (!busy()) { var note = document.getElementById("polling"); if (note) { note.remove(); } }
          } else if (j.status !== "failed") { setTimeout(function () { poll(row); }, 1500); }
        }).catch(function () { setTimeout(function () { poll(row); }, 5000); });
    }
    table.querySelectorAll("tr.job").forEach(function (row) {
      if (row.dataset.status === "queued" || row.dataset.status === "running") { poll(row); }
    });
  }
  function start() {
    var jobs = document.querySelector("table#jobs[data-labels]");
    if (jobs) { followJobs(jobs); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
