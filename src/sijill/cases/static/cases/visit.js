// Field visit form: GPS position, a drawn signature, and an outbox in localStorage so that a report written
// where the connection drops is kept on the phone and sent when it returns (the server accepts each report
// once, by its client_uuid, however often it is resent). No library, no inline script (CSP).
(function () {
  "use strict";
  var script = document.currentScript;
  var UPLOAD = script.dataset.upload;
  var CSRF = script.dataset.csrf;
  var KEY = "sijill.visits.outbox";
  var text = {
    saved: script.dataset.saved || "Saved on this phone; it will be sent when the connection returns.",
    sent: script.dataset.sent || "Report sent.",
    waiting: script.dataset.waiting || "Reports waiting to be sent:"
  };

  function outbox() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function keep(items) { localStorage.setItem(KEY, JSON.stringify(items)); }
  function status(message) {
    var el = document.getElementById("outbox-status");
    if (!el) { return; }
    var left = outbox().length;
    el.textContent = message || (left ? text.waiting + " " + left : "");
    el.hidden = !el.textContent;
  }

  function send(report) {
    return fetch(UPLOAD, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": CSRF},
      body: JSON.stringify(report)
    }).then(function (response) {
      if (response.ok) { return "sent"; }
      if (response.status === 422 || response.status === 400 || response.status === 403) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          report.error = body.error || String(response.status);
          return "refused";
        });
      }
      return "later";  // a server error or a login page: try again later
    }, function () { return "later"; });  // no connection
  }

  var flushing = false;
  var submitted = null;  // the client_uuid of the report this page sent, once it is in the outbox
  var done = (document.getElementById("visit-form") || document.body).getAttribute("data-done") || "";
  function flush() {
    if (flushing) { return Promise.resolve(); }
    flushing = true;
    var items = outbox();
    var chain = Promise.resolve();
    var tried = {}, sent = {};
    items.forEach(function (report) {
      tried[report.client_uuid] = report;
      chain = chain.then(function () {
        return send(report).then(function (result) {
          if (result === "sent") { sent[report.client_uuid] = true; }
        });
      });
    });
    return chain.then(function () {
      // Read the outbox again: a report saved while this round was sending must not be overwritten.
      var remaining = outbox().filter(function (r) { return !sent[r.client_uuid]; }).map(function (r) {
        var last = tried[r.client_uuid];
        if (last && last.error) { r.error = last.error; }
        return r;
      });
      keep(remaining);
      flushing = false;
      if (remaining.some(function (r) { return !tried[r.client_uuid]; })) { return flush(); }
      var refused = remaining.filter(function (r) { return r.error; });
      var mine = submitted && remaining.filter(function (r) { return r.client_uuid === submitted; })[0];
      if (submitted && !mine) {  // this page's report went through: back to the list of visits
        status(text.sent);
        window.location.href = done;
      } else if (mine && !mine.error) {
        status(text.saved);
      } else {
        status(refused.length ? refused[0].error : "");
      }
    });
  }

  function shrink(file) {  // a phone photo is several MB: keep at most 1280 px as JPEG
    return new Promise(function (resolve) {
      var reader = new FileReader();
      reader.onload = function () {
        var img = new Image();
        img.onload = function () {
          var scale = Math.min(1, 1280 / Math.max(img.width, img.height));
          var canvas = document.createElement("canvas");
          canvas.width = Math.round(img.width * scale);
          canvas.height = Math.round(img.height * scale);
          canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
          resolve(canvas.toDataURL("image/jpeg", 0.7));
        };
        img.onerror = function () { resolve(null); };
        img.src = reader.result;
      };
      reader.readAsDataURL(file);
    });
  }

  function signaturePad(canvas) {
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false;
    ctx.lineWidth = 2; ctx.lineCap = "round";
    function at(event) {
      var box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
    }
    canvas.addEventListener("pointerdown", function (e) { drawing = true; var p = at(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); e.preventDefault(); });
    canvas.addEventListener("pointermove", function (e) { if (!drawing) { return; } var p = at(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; e.preventDefault(); });
    ["pointerup", "pointerleave"].forEach(function (name) { canvas.addEventListener(name, function () { drawing = false; }); });
    return {
      clear: function () { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; },
      value: function () { return drawn ? canvas.toDataURL("image/png") : ""; }
    };
  }

  function setUp(form) {
    var uuid = form.querySelector("[name=client_uuid]");
    if (uuid && !uuid.value) {
      uuid.value = (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
        : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
          return (c ^ (Math.random() * 16) >> (c / 4)).toString(16);
        });
    }
    var pad = signaturePad(document.getElementById("signature-pad"));
    document.getElementById("signature-clear").addEventListener("click", pad.clear);
    document.getElementById("gps-button").addEventListener("click", function () {
      var out = document.getElementById("gps-status");
      if (!navigator.geolocation) { out.textContent = "—"; return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.querySelector("[name=latitude]").value = pos.coords.latitude.toFixed(6);
        form.querySelector("[name=longitude]").value = pos.coords.longitude.toFixed(6);
        out.textContent = pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5);
      }, function (err) { out.textContent = err.message; }, {enableHighAccuracy: true, timeout: 20000});
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      var report = {case: form.dataset.case, visited_at: new Date().toISOString(), signature: pad.value()};
      ["client_uuid", "household_present", "living_conditions", "observations", "recommendation", "latitude",
        "longitude"].forEach(function (name) { report[name] = data.get(name) || ""; });
      data.forEach(function (value, name) {  // the checklist: an answer, its evidence and a note per item
        if (/^(check|evidence|checknote)-/.test(name)) { report[name] = value; }
      });
      var files = Array.prototype.slice.call(form.querySelector("[name=photos]").files || []);
      Promise.all(files.map(shrink)).then(function (photos) {
        report.photos = photos.filter(Boolean);
        var items = outbox().filter(function (r) { return r.client_uuid !== report.client_uuid; });
        items.push(report);
        keep(items);
        submitted = report.client_uuid;
        status(text.saved);
        return flush();
      });
    });
  }

  var form = document.getElementById("visit-form");
  if (form) { setUp(form); }
  window.addEventListener("online", flush);
  status("");
  flush();
}());
