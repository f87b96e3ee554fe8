// Pages that follow one lead or the text inbox live (the lead page, the inbox): they listen on the
// board's websocket and reload their live part (data-live-refresh, a CSS selector) when an event
// arrives that concerns them; the nav's unread-texts count is refreshed on text events.
// The root element says what to follow: data-live-lead (one lead) and/or data-live-kinds (event kinds).
(function () {
  "use strict";
  var RECONNECT_MS = 2000; // a dropped socket comes back within two seconds and replays what it missed
  var TEXT_KINDS = ["lead.sms_received", "lead.contacted", "lead.opt_out_flagged", "lead.texts_read", "lead.contact_logged"];
  var root = document.querySelector("[data-live]");
  if (!root || !window.WebSocket) return;
  var lastEventId = root.getAttribute("data-last-event-id") || "0";
  var leadId = root.getAttribute("data-live-lead") || "";
  var kinds = (root.getAttribute("data-live-kinds") || "").split(" ").filter(Boolean);
  var markerPattern = /<output[^>]*id="board-position"[^>]*>/g;

  function attribute(tag, name) {
    var found = new RegExp(name + '="([^"]*)"').exec(tag);
    return found ? found[1] : "";
  }

  function refresh() {
    document.querySelectorAll(root.getAttribute("data-live-refresh")).forEach(function (el) {
      window.htmx.trigger(el, "refresh");
    });
  }

  function onMarker(tag) {
    var kind = attribute(tag, "data-event-kind");
    var id = attribute(tag, "data-last-event-id");
    if (id) lastEventId = id;
    if (kind === "heartbeat") return;
    if (kind === "reset") { refresh(); return; }
    if (TEXT_KINDS.indexOf(kind) >= 0) {
      var badge = document.getElementById("unread-texts");
      if (badge) window.htmx.trigger(badge, "refresh");
    }
    if (leadId && attribute(tag, "data-lead-id") !== leadId) return;
    if (kinds.length && kinds.indexOf(kind) < 0) return;
    refresh();
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/board/ws?after=" + lastEventId);
    socket.onmessage = function (message) {
      var tags = String(message.data).match(markerPattern) || [];
      tags.forEach(onMarker);
    };
    socket.onclose = function () { window.setTimeout(connect, RECONNECT_MS); };
  }
  connect();

  // An action on the page: its answer (or its refusal, beside the fields it names) next to it.
  function feedbackFor(elt) {
    var holder = elt.closest("form") || elt;
    var box = holder.nextElementSibling;
    if (!box || !box.classList.contains("feedback")) {
      box = document.createElement("p");
      box.className = "feedback";
      box.setAttribute("role", "status");
      holder.insertAdjacentElement("afterend", box);
    }
    return box;
  }

  document.body.addEventListener("htmx:afterRequest", function (evt) {
    var elt = evt.detail.elt;
    if (!elt || !elt.closest || !root.contains(elt) || elt.hasAttribute("hx-get")) return;
    if (elt.closest("#lead-live") && evt.detail.successful) refresh();
    var form = elt.closest("form");
    if (form) form.querySelectorAll(".field-message").forEach(function (m) { m.remove(); });
    var box = feedbackFor(elt);
    box.classList.toggle("error", !evt.detail.successful);
    if (evt.detail.successful) { box.textContent = "Done."; return; }
    var text = evt.detail.xhr.responseText, detail = "That did not work; try again.", errors = [];
    try { var problem = JSON.parse(text); detail = problem.detail || detail; errors = problem.errors || []; } catch (e) { /* not JSON */ }
    box.textContent = detail;
    errors.forEach(function (error) {
      var field = form && form.querySelector('[name="' + error.field + '"]');
      if (!field) return;
      var message = document.createElement("p");
      message.className = "field-message";
      message.textContent = error.message;
      (field.closest("label") || field).insertAdjacentElement("beforebegin", message);
    });
  });
})();
