// The live board's small script: resume position, new rows, order, timers, sounds, tab alerts.
// Markup arrives from the server (htmx ws extension, out-of-band swaps); this only keeps it tidy.
(function () {
  "use strict";

  var HTMX_RECONNECTS = [1006, 1011, 1012, 1013]; // the ws extension reconnects on these itself
  var CLOSE_RESET = 4000; // server: "re-render the whole board"
  var CLOSE_SESSION_ENDED = 4401; // server: signed out, do not reconnect
  var ESCALATION_REPEAT_MS = 30000; // the urgent sound repeats every 30 s until someone acts
  var SOUND_GAP_MS = 800; // a replay of many new leads plays one chime, not a burst
  var SOUND_KEY = "leadrouter.sound";

  var board = {
    lastEventId: 0,
    socket: null,
    wrapper: null,
    lastMessageAt: Date.now(),
    unseen: 0,
    resetting: false,
    baseTitle: document.title,
  };
  window.leadrouterBoard = board;
  window.leadrouterSoundPlays = window.leadrouterSoundPlays || 0;

  // --- position: every message ends with #board-position carrying the last event id ---
  function notePosition(el) {
    var id = el && parseInt(el.getAttribute("data-last-event-id"), 10);
    if (id && id > board.lastEventId) board.lastEventId = id;
  }

  function withAfter(url) {
    var parsed = new URL(url, window.location.href);
    parsed.searchParams.set("after", String(board.lastEventId));
    return parsed.toString();
  }

  // Deferred scripts run after parsing and before htmx opens the socket: read the snapshot's position now.
  notePosition(document.getElementById("board-position"));

  var createDefault = htmx.createWebSocket;
  htmx.createWebSocket = function (url) {
    var socket = createDefault ? createDefault(withAfter(url)) : new WebSocket(withAfter(url));
    board.socket = socket;
    return socket;
  };

  // --- rows: a lead the board does not show yet is appended, then the list is re-ordered ---
  document.body.addEventListener("htmx:oobErrorNoTarget", function (evt) {
    var row = evt.detail.content;
    if (!row || !row.classList || !row.classList.contains("lead")) return;
    if (row.getAttribute("hx-swap-oob") === "delete") return;
    row.removeAttribute("hx-swap-oob");
    document.getElementById("board-leads").appendChild(row);
    htmx.process(row);
  });

  document.body.addEventListener("htmx:oobBeforeSwap", function (evt) {
    // Keep what this board has loaded or typed in a row when someone else's action re-renders it:
    // the open "more" panel (forms and what was typed), the contact side (phone, email, message,
    // Call and Text, read once per page) and the last confirmation move into the new row.
    var target = evt.detail.target;
    var fragment = evt.detail.fragment;
    if (!target || !fragment || !target.classList || !target.classList.contains("lead")) return;
    var fresh = fragment.querySelector ? fragment : null;
    if (!fresh) return;
    [["details.more[open]", "details.more"], [".lead-contact[data-loaded]", ".lead-contact"], [".lead-feedback", ".lead-feedback"]]
      .forEach(function (pair) {
        var kept = target.querySelector(pair[0]);
        var next = fresh.querySelector(pair[1]);
        if (kept && next) next.parentNode.replaceChild(kept, next);
      });
    if (target.classList.contains("expanded")) {
      var row = fresh.classList && fresh.classList.contains("lead") ? fresh : fresh.querySelector("li.lead");
      if (row) row.classList.add("expanded");
    }
  });

  // --- the contact side: loaded once, asked again when an event may have changed what it says ---
  var CONTACT_KINDS = ["lead.touched", "lead.sms_received", "lead.opt_out_flagged", "lead.contact_logged", "lead.call_updated", "lead.closed"];

  document.body.addEventListener("htmx:afterSwap", function (evt) {
    var el = evt.detail.target;
    if (el && el.classList && el.classList.contains("lead-contact")) el.setAttribute("data-loaded", "1");
  });

  function refreshContact(row) {
    var side = row && row.querySelector(".lead-contact[data-loaded]");
    if (!side) return;
    var typing = side.querySelector("textarea");
    if (typing && typing.value.trim() !== "") return; // never wipe a text being written
    htmx.ajax("GET", side.getAttribute("hx-get"), { target: side, swap: "innerHTML" });
  }

  function priority(row) {
    var score = row.getAttribute("data-score");
    return [
      -parseInt(row.getAttribute("data-escalation") || "0", 10),
      score === "" ? 1 : 0,
      -(parseInt(score || "0", 10)),
      Date.parse(row.getAttribute("data-received")),
      row.id,
    ];
  }

  function compare(a, b) {
    var ka = priority(a), kb = priority(b);
    for (var i = 0; i < ka.length; i++) {
      if (ka[i] < kb[i]) return -1;
      if (ka[i] > kb[i]) return 1;
    }
    return 0;
  }

  function tidy() {
    var list = document.getElementById("board-leads");
    if (!list) return;
    var rows = Array.prototype.slice.call(list.querySelectorAll(":scope > li.lead"));
    var sorted = rows.slice().sort(compare);
    var moved = sorted.some(function (row, i) { return row !== rows[i]; });
    if (moved) {
      var focused = document.activeElement;
      sorted.forEach(function (row) { list.appendChild(row); });
      if (focused && list.contains(focused)) focused.focus();
    }
    var me = document.body.getAttribute("data-user-id");
    sorted.forEach(function (row) {
      row.classList.toggle("mine", row.getAttribute("data-claimed-by") === me);
    });
    document.body.classList.toggle("board-empty", sorted.length === 0);
    tick();
  }

  // --- timers: waiting time and the countdown to the contact deadline ---
  function span(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (h) return h + "h " + m + "m";
    return m + ":" + (sec < 10 ? "0" : "") + sec;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("#board-leads time.waiting").forEach(function (el) {
      el.textContent = span(now - Date.parse(el.getAttribute("datetime")));
    });
    document.querySelectorAll("#board-leads .countdown").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-due")) - now;
      el.textContent = left >= 0 ? span(left) + " to contact" : "overdue by " + span(-left);
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 60000);
    });
  }

  // --- sound: off until the person turns it on (browsers block audio before a click) ---
  var sounds = { new: new Audio("/static/sounds/new-lead.wav"), escalation: new Audio("/static/sounds/escalation.wav") };
  var lastSoundAt = 0;

  function soundOn() { return localStorage.getItem(SOUND_KEY) === "on"; }

  function play(kind, force) {
    if (!soundOn()) return;
    if (!force) {
      var now = Date.now();
      if (now - lastSoundAt < SOUND_GAP_MS) return;
      lastSoundAt = now;
    }
    var audio = sounds[kind];
    audio.currentTime = 0;
    var played = audio.play();
    if (played && played.then) {
      played.then(function () { window.leadrouterSoundPlays += 1; }, function () { showToggle(); });
    }
  }

  function showToggle() {
    var button = document.getElementById("sound-toggle");
    if (!button) return;
    var on = soundOn();
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "🔔 Sound on" : "🔇 Sound off";
    button.classList.toggle("on", on);
  }

  function urgentWaiting() {
    return document.querySelector('#board-leads li.lead.escalated[data-claimed-by=""][data-contacted="0"]');
  }

  setInterval(function () { if (urgentWaiting()) play("escalation", true); }, ESCALATION_REPEAT_MS);

  // --- background tab: a count in the title and a desktop notification (no PHI in it) ---
  function alertInBackground(row) {
    if (!document.hidden) return;
    board.unseen += 1;
    document.title = "(" + board.unseen + ") " + board.baseTitle;
    if ("Notification" in window && Notification.permission === "granted") {
      var interest = row ? row.querySelector(".interest") : null;
      new Notification("New lead", { body: interest ? interest.textContent : "A new inquiry is waiting", tag: "leadrouter" });
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      board.unseen = 0;
      document.title = board.baseTitle;
    }
  });

  // --- messages and connection state ---
  function setConnection(text, state) {
    var el = document.getElementById("board-connection");
    if (el) { el.textContent = text; el.setAttribute("data-state", state); }
  }

  function rerender() {
    board.resetting = true;
    htmx.ajax("GET", "/board/snapshot", { target: "#board-leads", swap: "outerHTML" }).then(function () {
      notePosition(document.getElementById("board-leads"));
      board.resetting = false;
      tidy();
      if (board.wrapper) board.wrapper.reconnect();
    });
  }

  document.body.addEventListener("htmx:wsAfterMessage", function () {
    board.lastMessageAt = Date.now();
    var marker = document.getElementById("board-position");
    if (!marker) return;
    var kind = marker.getAttribute("data-event-kind");
    if (kind === "reset") { rerender(); return; }
    notePosition(marker);
    var alert = marker.getAttribute("data-alert");
    var row = document.getElementById("lead-" + marker.getAttribute("data-lead-id"));
    if (alert === "new") { play("new"); alertInBackground(row); announce(row); }
    if (CONTACT_KINDS.indexOf(kind) >= 0) refreshContact(row);
    if (alert === "escalation") play("escalation", true);
    if (kind !== "heartbeat") tidy();
  });

  document.body.addEventListener("htmx:wsOpen", function (evt) {
    board.wrapper = evt.detail.socketWrapper;
    board.lastMessageAt = Date.now();
    setConnection("live", "live");
  });

  document.body.addEventListener("htmx:wsClose", function (evt) {
    board.wrapper = evt.detail.socketWrapper || board.wrapper;
    var code = evt.detail.event.code;
    if (code === CLOSE_SESSION_ENDED) {
      setConnection("signed out: sign in again to see new leads", "ended");
      return;
    }
    setConnection("reconnecting…", "down");
    if (code === CLOSE_RESET || board.resetting || HTMX_RECONNECTS.indexOf(code) >= 0) return;
    setTimeout(function () { if (board.wrapper) board.wrapper.reconnect(); }, 1000);
  });

  // A silent socket may be dead without knowing it (a laptop lid, a proxy): reconnect and replay.
  setInterval(function () {
    var silence = parseInt(document.getElementById("board").getAttribute("data-silence-seconds"), 10) * 1000;
    if (board.socket && board.socket.readyState === WebSocket.OPEN && Date.now() - board.lastMessageAt > silence) {
      board.lastMessageAt = Date.now();
      board.socket.close();
    }
  }, 5000);

  // --- what an action did, next to the card it was done on ---
  function cardOf(elt) { return elt && elt.closest ? elt.closest("li.lead") : null; }

  function say(row, text, isError) {
    var out = row && row.querySelector(".lead-feedback");
    if (!out) return false;
    out.textContent = text;
    out.classList.toggle("error", !!isError);
    return true;
  }

  function clearFieldErrors(form) {
    form.querySelectorAll(".field-message[data-from-server]").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.closest("label") && el.closest("label").classList.remove("field-error");
    });
  }

  function showFieldErrors(form, errors) {
    var first = null;
    errors.forEach(function (error, i) {
      var field = form.querySelector('[name="' + error.field + '"]');
      if (!field) return false;
      var message = document.createElement("p");
      message.className = "field-message";
      message.setAttribute("data-from-server", "1");
      message.id = (form.id || "form-" + Math.random().toString(36).slice(2)) + "-error-" + i;
      message.textContent = error.message;
      var holder = field.closest("label") || field;
      holder.classList.add("field-error");
      holder.parentNode.insertBefore(message, holder.nextSibling);
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", message.id);
      if (!first) first = field;
    });
    if (first) first.focus();
    return first !== null;
  }

  document.body.addEventListener("htmx:responseError", function (evt) {
    var text = evt.detail.xhr.responseText, problem = {};
    try { problem = JSON.parse(text); } catch (e) { /* not JSON */ }
    var message = problem.detail || "That did not work; try again.";
    var elt = evt.detail.elt, row = cardOf(elt);
    var form = elt && elt.tagName === "FORM" ? elt : elt && elt.closest ? elt.closest("form") : null;
    if (form) clearFieldErrors(form);
    if (form && problem.errors && showFieldErrors(form, problem.errors)) {
      if (row) say(row, "Not done: see the message beside the field.", true);
      return;
    }
    if (row && say(row, message, true)) return;
    var status = document.getElementById("board-status");
    status.textContent = message;
    status.classList.add("error");
  });

  document.body.addEventListener("htmx:afterRequest", function (evt) {
    if (!evt.detail.successful) return;
    var elt = evt.detail.elt, row = cardOf(elt);
    if (elt && elt.tagName === "FORM") clearFieldErrors(elt);
    var done = elt && elt.getAttribute && elt.getAttribute("data-done");
    if (row && done) say(row, done, false);
    var status = document.getElementById("board-status");
    if (status) { status.textContent = ""; status.classList.remove("error"); }
  });

  // --- screen readers hear new leads through a polite live region (the list itself stays quiet) ---
  function announce(row) {
    var region = document.getElementById("board-announcer");
    if (!region || !row) return;
    var name = row.querySelector(".lead-name");
    var interest = row.querySelector(".interest");
    region.textContent = "New lead: " + (name ? name.textContent.trim() : "") + (interest ? ", " + interest.textContent.trim() : "");
  }

  function start() {
    notePosition(document.getElementById("board-position"));
    notePosition(document.getElementById("board-leads"));
    var toggle = document.getElementById("sound-toggle");
    toggle.addEventListener("click", function () {
      localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on");
      showToggle();
      if (soundOn()) play("new", true); // plays inside the click, which unlocks audio for the page
    });
    showToggle();
    var notify = document.getElementById("notify-toggle");
    if ("Notification" in window && Notification.permission === "default") {
      notify.hidden = false;
      notify.addEventListener("click", function () {
        Notification.requestPermission().then(function () { notify.hidden = true; });
      });
    }
    tidy();
    setInterval(tick, 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
