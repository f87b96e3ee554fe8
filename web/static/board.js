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
    var list = groupList(row.getAttribute("data-group"));
    if (!list) return;
    list.appendChild(row);
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
      if (row) {
        row.classList.add("expanded");
        var button = row.querySelector("button.expand");
        if (button) button.setAttribute("aria-expanded", "true");
      }
    }
  });

  // --- the contact side: loaded once, asked again when an event may have changed what it says ---
  var CONTACT_KINDS = ["lead.touched", "lead.sms_received", "lead.opt_out_flagged", "lead.contact_logged", "lead.call_updated", "lead.closed"];

  document.body.addEventListener("htmx:afterSwap", function (evt) {
    var el = evt.detail.target;
    if (el && el.classList && el.classList.contains("lead-contact")) el.setAttribute("data-loaded", "1");
  });

  // Never pull the contact side from under someone using it (a text being written, a refusal beside
  // the box): it is read again after the next event instead.
  function inUse(side) {
    return !!side.querySelector("details.compose[open]") || side.contains(document.activeElement);
  }

  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var side = evt.detail.target;
    if (side && side.matches && side.matches(".lead-contact[data-loaded]") && inUse(side)) evt.detail.shouldSwap = false;
  });

  function refreshContact(row) {
    var side = row && row.querySelector(".lead-contact[data-loaded]");
    if (!side || inUse(side)) return;
    htmx.ajax("GET", side.getAttribute("hx-get"), { target: side, swap: "innerHTML" });
  }

  // --- groups, order, filters: Needs contact, In progress, Recently closed; Mine / Unassigned / All ---
  var RECENTLY_CLOSED_MS = 2 * 60 * 60 * 1000; // a closed lead stays in its folded group for two hours

  function groupList(group) { return document.querySelector('#board-leads ol[data-group="' + group + '"]'); }

  function priority(row) {
    if (row.getAttribute("data-group") === "closed") return [-Date.parse(row.getAttribute("data-closed") || 0), row.id];
    var score = row.getAttribute("data-score");
    return [
      -parseInt(row.getAttribute("data-escalation") || "0", 10),
      row.getAttribute("data-urgent") === "1" ? 0 : 1,
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

  function view() {
    return {
      filter: document.body.getAttribute("data-filter") || "all",
      location: document.body.getAttribute("data-location") || "all",
      compact: document.body.classList.contains("compact"),
    };
  }

  function isMine(row, me) {
    return row.getAttribute("data-claimed-by") === me || row.getAttribute("data-assigned") === me;
  }

  function passes(row, filter, location, me) {
    if (location !== "all" && row.getAttribute("data-location") !== location) return false;
    if (filter === "mine") return isMine(row, me);
    if (filter === "unassigned") return !row.getAttribute("data-assigned") && !row.getAttribute("data-claimed-by");
    return true;
  }

  function setCount(selector, n) {
    var el = document.querySelector(selector);
    if (el) el.textContent = String(n);
  }

  function applyFilters(rows) {
    var v = view(), me = document.body.getAttribute("data-user-id");
    var open = rows.filter(function (row) { return row.getAttribute("data-group") !== "closed"; });
    ["mine", "unassigned", "all"].forEach(function (filter) {
      setCount('[data-count-filter="' + filter + '"]', open.filter(function (row) { return passes(row, filter, v.location, me); }).length);
    });
    document.querySelectorAll("[data-count-location]").forEach(function (el) {
      var place = el.getAttribute("data-count-location");
      el.textContent = String(open.filter(function (row) { return passes(row, v.filter, place, me); }).length);
    });
    var shown = { needs: 0, progress: 0, closed: 0 };
    rows.forEach(function (row) {
      var visible = passes(row, v.filter, v.location, me);
      row.classList.toggle("filtered-out", !visible);
      if (visible) shown[row.getAttribute("data-group")] += 1;
    });
    Object.keys(shown).forEach(function (group) { setCount('[data-count-group="' + group + '"]', shown[group]); });
    document.querySelectorAll(".board-filters [data-filter]").forEach(function (b) { b.setAttribute("aria-pressed", b.getAttribute("data-filter") === v.filter ? "true" : "false"); });
    document.querySelectorAll(".board-filters [data-location]").forEach(function (b) { b.setAttribute("aria-pressed", b.getAttribute("data-location") === v.location ? "true" : "false"); });
    var compact = document.getElementById("compact-toggle");
    if (compact) compact.setAttribute("aria-pressed", v.compact ? "true" : "false");
  }

  function tidy() {
    var root = document.getElementById("board-leads");
    if (!root) return;
    var now = Date.now();
    var rows = Array.prototype.slice.call(root.querySelectorAll("li.lead"));
    rows = rows.filter(function (row) {
      var closed = row.getAttribute("data-closed");
      if (row.getAttribute("data-group") === "closed" && closed && now - Date.parse(closed) > RECENTLY_CLOSED_MS) {
        row.remove();
        return false;
      }
      return true;
    });
    var focused = document.activeElement;
    var moved = false;
    ["needs", "progress", "closed"].forEach(function (group) {
      var list = groupList(group);
      if (!list) return;
      var members = rows.filter(function (row) { return row.getAttribute("data-group") === group; });
      var current = Array.prototype.slice.call(list.children);
      var sorted = members.slice().sort(compare);
      var same = sorted.length === current.length && sorted.every(function (row, i) { return row === current[i]; });
      if (!same) {
        moved = true;
        sorted.forEach(function (row) { list.appendChild(row); });
      }
    });
    if (moved && focused && root.contains(focused)) focused.focus();
    var me = document.body.getAttribute("data-user-id");
    rows.forEach(function (row) { row.classList.toggle("mine", row.getAttribute("data-claimed-by") === me); });
    document.body.classList.toggle("board-empty", rows.length === 0);
    applyFilters(rows);
    tick();
  }

  function saveView() {
    var v = view();
    var body = new URLSearchParams({ filter: v.filter, location: v.location, compact: v.compact ? "true" : "false" });
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    headers["content-type"] = "application/x-www-form-urlencoded";
    fetch("/board/view", { method: "POST", body: body, headers: headers, credentials: "same-origin" });
  }

  document.addEventListener("click", function (evt) {
    var tab = evt.target.closest && evt.target.closest(".board-filters button");
    if (tab) {
      if (tab.hasAttribute("data-filter")) document.body.setAttribute("data-filter", tab.getAttribute("data-filter"));
      if (tab.hasAttribute("data-location")) document.body.setAttribute("data-location", tab.getAttribute("data-location"));
      if (tab.id === "compact-toggle") document.body.classList.toggle("compact");
      tidy();
      saveView();
      return;
    }
    var expand = evt.target.closest && evt.target.closest("li.lead button.expand");
    if (expand) {
      var row = expand.closest("li.lead");
      var open = row.classList.toggle("expanded");
      expand.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });

  // --- timers: waiting time and the countdown to the contact deadline ---
  function span(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (h) return h + "h " + m + "m";
    return m + ":" + (sec < 10 ? "0" : "") + sec;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("#board-leads .waiting[data-since]").forEach(function (el) {
      el.textContent = span(now - Date.parse(el.getAttribute("data-since")));
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
  // The card as it is on the page now: the push of an action's own event can replace the row
  // before the action's answer arrives, leaving the button or form that asked in a detached row.
  function cardOf(elt) {
    var row = elt && elt.closest ? elt.closest("li.lead") : null;
    return row ? document.getElementById(row.id) || row : null;
  }

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

  function problemOf(xhr) {
    try { return JSON.parse(xhr.responseText) || {}; } catch (e) { return {}; }
  }

  // A card's action is followed to its answer through its request, not through htmx's events on the
  // button or form: the action's own push may have replaced the row (and detached them) by then.
  document.body.addEventListener("htmx:beforeSend", function (evt) {
    var elt = evt.detail.elt, row = elt && elt.closest ? elt.closest("li.lead") : null;
    if (!row) return;
    // Loading a part of the card (its contact side, the "more" panel) is not an action to confirm.
    var config = evt.detail.requestConfig;
    if (config && config.verb === "get") return;
    var rowId = row.id, done = elt.getAttribute && elt.getAttribute("data-done");
    var form = elt.tagName === "FORM" ? elt : elt.closest("form");
    evt.detail.xhr.addEventListener("loadend", function () {
      var xhr = evt.detail.xhr, live = document.getElementById(rowId);
      if (form) clearFieldErrors(form);
      if (xhr.status >= 200 && xhr.status < 300) {
        var said = done || new DOMParser().parseFromString(xhr.responseText || "", "text/html").body.textContent.trim();
        if (said) say(live, said, false);
        return;
      }
      var problem = problemOf(xhr);
      if (form && document.contains(form) && problem.errors && showFieldErrors(form, problem.errors)) {
        say(live, "Not done: see the message beside the field.", true);
        return;
      }
      say(live, problem.detail || "That did not work; try again.", true);
    });
  });

  // Actions outside a card (the walk-in form, availability) answer in the status line or beside fields.
  document.body.addEventListener("htmx:responseError", function (evt) {
    var elt = evt.detail.elt;
    if (!elt || (elt.closest && elt.closest("li.lead"))) return;
    var problem = problemOf(evt.detail.xhr);
    var form = elt.tagName === "FORM" ? elt : elt.closest && elt.closest("form");
    if (form) clearFieldErrors(form);
    if (form && problem.errors && showFieldErrors(form, problem.errors)) return;
    var status = document.getElementById("board-status");
    status.textContent = problem.detail || "That did not work; try again.";
    status.classList.add("error");
  });

  document.body.addEventListener("htmx:afterRequest", function (evt) {
    if (!evt.detail.successful) return;
    var elt = evt.detail.elt;
    if (elt && elt.tagName === "FORM") clearFieldErrors(elt);
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
