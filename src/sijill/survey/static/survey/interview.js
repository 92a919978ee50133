// The interview form on the researcher's phone, drawn from the XLSForm: skip logic evaluated on the phone
// with the same expression trees the server checks; GPS at the start and at the end; photos shrunk to
// 1280 px; the head's drawn signature; the interview kept in the outbox until the server acknowledges it.
(function () {
  "use strict";
  var script = document.currentScript;
  var box = window.SijillOutbox("sijill.survey.outbox", script.dataset.upload, script.dataset.csrf);
  var form = document.getElementById("interview-form");
  var statusEl = document.getElementById("outbox-status");
  var submitted = null;

  function status(message) {
    if (!statusEl) { return; }
    var left = box.items().length;
    statusEl.textContent = message || (left ? script.dataset.waiting + " " + left : "");
    statusEl.hidden = !statusEl.textContent;
  }
  function flush() {
    return box.flush().then(function (remaining) {
      var mine = submitted && remaining.filter(function (r) { return r.client_uuid === submitted; })[0];
      if (submitted && !mine) { status(script.dataset.sent); window.location.href = form.dataset.done; return; }
      if (mine && !mine.error) { status(script.dataset.saved); return; }
      var refused = remaining.filter(function (r) { return r.error; });
      status(refused.length ? refused[0].error : "");
    });
  }
  window.addEventListener("online", flush);
  if (!form) { status(""); flush(); return; }

  // --- XLSForm expressions (trees from sijill.survey.expressions) ---
  function num(v) { if (v === null || v === undefined || v === "") { return NaN; } if (v === true) { return 1; } if (v === false) { return 0; } return Number(v); }
  function bool(v) { return typeof v === "number" ? (v === v && v !== 0) : Boolean(v); }
  function evaluate(t, lookup, self) {
    switch (t[0]) {
      case "num": case "str": return t[1];
      case "ref": return lookup(t[1]);
      case "self": return self;
      case "fn":
        var a = t[2].map(function (x) { return evaluate(x, lookup, self); });
        switch (t[1]) {
          case "selected": return String(a[0] || "").split(" ").indexOf(String(a[1])) >= 0;
          case "count-selected": return String(a[0] || "").split(" ").filter(Boolean).length;
          case "not": return !bool(a[0]);
          case "string-length": return a[0] === null || a[0] === undefined ? 0 : String(a[0]).length;
          case "number": return num(a[0]);
          case "int": return Math.trunc(num(a[0]));
          case "count": return (a[0] || []).length;
          case "boolean": return bool(a[0]);
          default: return t[1] === "true";
        }
    }
    var op = t[1];
    if (op === "and") { return bool(evaluate(t[2], lookup, self)) && bool(evaluate(t[3], lookup, self)); }
    if (op === "or") { return bool(evaluate(t[2], lookup, self)) || bool(evaluate(t[3], lookup, self)); }
    var x = evaluate(t[2], lookup, self), y = evaluate(t[3], lookup, self);
    if (["=", "!=", "<", "<=", ">", ">="].indexOf(op) >= 0) {
      if (typeof x === "number" || typeof y === "number") { x = num(x); y = num(y); } else { x = x === null || x === undefined ? "" : String(x); y = y === null || y === undefined ? "" : String(y); }
      return {"=": x === y, "!=": x !== y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op];
    }
    x = num(x); y = num(y);
    return {"+": x + y, "-": x - y, "*": x * y, "div": y ? x / y : NaN, "mod": y ? x % y : NaN}[op];
  }

  var spec = JSON.parse(form.dataset.spec);
  var types = {};
  spec.questions.forEach(function (q) { types[q.name] = q; });
  function valueIn(scope, name) {
    var q = types[name];
    var inputs = Array.prototype.filter.call(scope.querySelectorAll("[data-q='" + name + "']"), function (el) {
      return scope === form ? !el.closest(".row") && !el.closest("template") : true;
    });
    if (!inputs.length) { return null; }
    if (q.type === "select all that apply") {
      return inputs.filter(function (el) { return el.checked; }).map(function (el) { return el.value; }).join(" ");
    }
    var v = inputs[0].value.trim();
    if (v === "") { return null; }
    if (q.type === "integer" || q.type === "decimal") {
      var n = Number(v.replace(/[٠-٩]/g, function (d) { return String(d.charCodeAt(0) - 0x660); }));
      return isNaN(n) ? v : n;
    }
    return v;
  }
  function answers() {
    var out = {};
    spec.questions.forEach(function (q) {
      if (q.repeat) { return; }
      if (q.type === "repeat") {
        var block = form.querySelector("[data-repeat='" + q.name + "']");
        if (block.hidden) { return; }
        out[q.name] = Array.prototype.map.call(block.querySelectorAll(".rows > .row"), function (row) {
          var r = {};
          spec.questions.forEach(function (s) {
            if (s.repeat === q.name) { var v = valueIn(row, s.name); if (v !== null && !row.querySelector("[data-name='" + s.name + "']").hidden) { r[s.name] = v; } }
          });
          return r;
        });
        return;
      }
      var block2 = form.querySelector(".q[data-name='" + q.name + "']:not(.row .q)");
      var v = valueIn(form, q.name);
      if (v !== null && block2 && !block2.hidden) { out[q.name] = v; }
    });
    return out;
  }
  function refresh() {
    Array.prototype.forEach.call(form.querySelectorAll("[data-relevant]"), function (el) {
      var row = el.closest(".row");
      var tree = JSON.parse(el.dataset.relevant);
      var shown = bool(evaluate(tree, function (name) {
        if (row && row.querySelector("[data-q='" + name + "']")) { return valueIn(row, name); }
        return valueIn(form, name);
      }, null));
      el.hidden = !shown;
    });
  }
  form.addEventListener("change", refresh);
  form.addEventListener("input", refresh);
  Array.prototype.forEach.call(form.querySelectorAll("[data-repeat]"), function (block) {
    block.querySelector(".add").addEventListener("click", function () {
      var row = document.createElement("div");
      row.className = "row";
      row.appendChild(block.querySelector("template").content.cloneNode(true));
      block.querySelector(".rows").appendChild(row);
      refresh();
    });
    block.addEventListener("click", function (e) {
      if (e.target.classList.contains("remove")) { e.target.closest(".row").remove(); refresh(); }
    });
  });
  refresh();

  var uuid = form.querySelector("[name=client_uuid]");
  uuid.value = (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
    : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (Math.random() * 16) >> (c / 4)).toString(16);
    });
  var started = new Date().toISOString();
  var start = {};
  function position(done) {
    if (!navigator.geolocation) { done(null); return; }
    navigator.geolocation.getCurrentPosition(function (p) { done(p.coords); }, function () { done(null); },
      {enableHighAccuracy: true, timeout: 15000});
  }
  position(function (c) {
    if (!c) { return; }
    start = {lat: c.latitude.toFixed(6), lon: c.longitude.toFixed(6)};
    document.getElementById("gps-start").textContent = script.dataset.gps + " " + start.lat + ", " + start.lon;
  });

  function shrink(file) {
    return new Promise(function (resolve) {
      var reader = new FileReader();
      reader.onload = function () {
        var img = new Image();
        img.onload = function () {
          var scale = Math.min(1, 1280 / Math.max(img.width, img.height));
          var canvas = document.createElement("canvas");
          canvas.width = Math.round(img.width * scale); canvas.height = Math.round(img.height * scale);
          canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
          resolve(canvas.toDataURL("image/jpeg", 0.7));
        };
        img.onerror = function () { resolve(null); };
        img.src = reader.result;
      };
      reader.readAsDataURL(file);
    });
  }
  var canvas = document.getElementById("signature-pad"), ctx = canvas.getContext("2d"), drawing = false, drawn = false;
  ctx.lineWidth = 2; ctx.lineCap = "round";
  function at(e) { var b = canvas.getBoundingClientRect(); return [(e.clientX - b.left) * canvas.width / b.width, (e.clientY - b.top) * canvas.height / b.height]; }
  canvas.addEventListener("pointerdown", function (e) { drawing = true; var p = at(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); e.preventDefault(); });
  canvas.addEventListener("pointermove", function (e) { if (!drawing) { return; } var p = at(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; e.preventDefault(); });
  ["pointerup", "pointerleave"].forEach(function (n) { canvas.addEventListener(n, function () { drawing = false; }); });
  document.getElementById("signature-clear").addEventListener("click", function () { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var report = {target: form.dataset.target, form_version: form.dataset.version, client_uuid: uuid.value,
      answers: answers(), started_at: started, ended_at: new Date().toISOString(),
      start_lat: start.lat || "", start_lon: start.lon || "", signature: drawn ? canvas.toDataURL("image/png") : ""};
    var files = Array.prototype.slice.call(form.querySelector("[name=photos]").files || []);
    position(function (c) {
      report.end_lat = c ? c.latitude.toFixed(6) : "";
      report.end_lon = c ? c.longitude.toFixed(6) : "";
      Promise.all(files.map(shrink)).then(function (photos) {
        report.photos = photos.filter(Boolean);
        box.put(report);
        submitted = report.client_uuid;
        status(script.dataset.saved);
        return flush();
      });
    });
  });
  status("");
  flush();
}());
