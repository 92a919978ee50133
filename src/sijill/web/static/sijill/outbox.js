// The project's offline outbox (as on the cases' visit form), made generic: reports are kept in localStorage
// and sent one by one until the server acknowledges each; the server takes each report once by its
// client_uuid, however often it is resent. A 400/403/422 answer is a refusal kept with its reason; anything
// else (no connection, a server error, a login page) is tried again later.
window.SijillOutbox = function (key, url, csrf) {
  "use strict";
  function items() {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function keep(list) { localStorage.setItem(key, JSON.stringify(list)); }
  function send(report) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(report)
    }).then(function (response) {
      if (response.ok) { return "sent"; }
      if (response.status === 422 || response.status === 400 || response.status === 403) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          report.error = body.error || String(response.status);
          return "refused";
        });
      }
      return "later";
    }, function () { return "later"; });
  }
  var flushing = false;
  function flush() {
    if (flushing) { return Promise.resolve(items()); }
    flushing = true;
    var tried = {}, sent = {}, chain = Promise.resolve();
    items().forEach(function (report) {
      tried[report.client_uuid] = report;
      chain = chain.then(function () {
        return send(report).then(function (result) { if (result === "sent") { sent[report.client_uuid] = true; } });
      });
    });
    return chain.then(function () {
      // Read again: a report saved while this round was sending must not be overwritten.
      var remaining = items().filter(function (r) { return !sent[r.client_uuid]; }).map(function (r) {
        var last = tried[r.client_uuid];
        if (last && last.error) { r.error = last.error; }
        return r;
      });
      keep(remaining);
      flushing = false;
      if (remaining.some(function (r) { return !tried[r.client_uuid]; })) { return flush(); }
      return remaining;
    });
  }
  function put(report) {
    var list = items().filter(function (r) { return r.client_uuid !== report.client_uuid; });
    list.push(report);
    keep(list);
  }
  return {items: items, put: put, flush: flush};
};
