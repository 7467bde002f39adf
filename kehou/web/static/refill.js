/* A form that came back with an error: put back what was typed and show the error beside its field.
   The server sends {page, action, values, field, message, files} (kehou/web/errors.py); texts below. */
(function () {
  "use strict";
  var TEXT = { files: "出于安全原因，上传的文件需要重新选择。" };
  var node = document.getElementById("kehou-refill");
  if (!node) { return; }
  var data;
  try { data = JSON.parse(node.textContent); } catch (e) { return; }
  var values = data.values || {};

  function path(form) {
    var a = document.createElement("a");
    a.href = form.getAttribute("action") || window.location.pathname;
    return a.pathname;
  }
  function list(v) { return Array.isArray(v) ? v : [v]; }

  // the form that was sent: same action and, among several, the one whose hidden fields match
  var forms = Array.prototype.filter.call(document.forms, function (f) { return path(f) === data.action; });
  var form = null;
  forms.forEach(function (f) {
    if (form) { return; }
    var hidden = f.querySelectorAll("input[type=hidden]:not([name=_csrf_token])");
    var same = Array.prototype.every.call(hidden, function (h) {
      return !(h.name in values) || list(values[h.name]).indexOf(h.value) !== -1;
    });
    if (same) { form = f; }
  });
  if (!form) { return; }

  var seen = {};
  Array.prototype.forEach.call(form.elements, function (el) {
    if (!el.name || !(el.name in values) || el.type === "hidden" || el.type === "file" || el.type === "password") { return; }
    var given = list(values[el.name]);
    if (el.type === "checkbox" || el.type === "radio") {
      el.checked = given.indexOf(el.value) !== -1;
    } else if (el.tagName === "SELECT" && el.multiple) {
      Array.prototype.forEach.call(el.options, function (o) { o.selected = given.indexOf(o.value) !== -1; });
    } else {
      var i = seen[el.name] || 0;  // repeated fields (rows of a table): in order
      if (i < given.length) { el.value = given[i]; }
      seen[el.name] = i + 1;
    }
  });

  if (data.files) {
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (el) {
      var note = document.createElement("p");
      note.className = "field-error";
      note.textContent = TEXT.files;
      el.insertAdjacentElement("afterend", note);
    });
  }
  var target = data.field ? form.querySelector("[name='" + String(data.field).replace(/'/g, "") + "']") : null;
  if (target && data.message) {
    var err = document.createElement("p");
    err.className = "field-error";
    err.id = "error-" + target.name;
    err.setAttribute("role", "alert");
    err.textContent = data.message;
    target.setAttribute("aria-invalid", "true");
    target.setAttribute("aria-describedby", err.id);
    (target.closest("label") || target).insertAdjacentElement("afterend", err);
    if (target.type !== "hidden") { target.focus(); }
  }
  form.scrollIntoView({ block: "start" });
  if (target && target.type !== "hidden") { target.focus({ preventScroll: false }); }
})();
