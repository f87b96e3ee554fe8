// The overflow console: listens on the board's live feed (the hub sends an agent only overflow leads
// of its call center's practices), reloads its queue when one changes (the slow poll is a backstop),
// chimes once per new queue entry when the sound is on (the same on/off control as the board), and on
// a phone opens a lead on its own page instead of beside the queue.
(function () {
  "use strict";
  var RECONNECT_MS = 2000; // a dropped socket comes back within two seconds and replays what it missed
  var CHIME_GAP_MS = 700; // several entries at once chime one after another, not on top of each other
  var SOUND_KEY = "leadrouter.sound"; // shared with the board: one switch for both
  var NARROW = window.matchMedia("(max-width: 720px)");
  var queue = document.getElementById("overflow-queue");
  var pane = document.getElementById("overflow-lead");
  var position = queue || pane;
  var lastEventId = (position && position.getAttribute("data-last-event-id")) || "0";
  var chime = new Audio("/static/sounds/new-lead.wav");
  var known = null;
  window.leadrouterSoundPlays = window.leadrouterSoundPlays || 0;

  function soundOn() { return window.localStorage.getItem(SOUND_KEY) === "on"; }

  function play() {
    if (!soundOn()) return;
    chime.currentTime = 0;
    var played = chime.play();
    window.leadrouterConsoleChimes = (window.leadrouterConsoleChimes || 0) + 1;
    if (played && played.then) played.then(function () { window.leadrouterSoundPlays += 1; }, function () {});
  }

  function showToggle() {
    var button = document.getElementById("sound-toggle");
    if (!button) return;
    var on = soundOn();
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "🔔 Sound on" : "🔇 Sound off";
    button.classList.toggle("on", on);
  }

  function queueIds() {
    var ids = {};
    if (!queue) return ids;
    queue.querySelectorAll("li.queue-item").forEach(function (item) { ids[item.getAttribute("data-lead-id")] = true; });
    return ids;
  }

  // One chime per lead that was not in the queue before this refresh (a call-back falling due counts).
  function noteNewEntries() {
    var now = queueIds();
    var fresh = known === null ? [] : Object.keys(now).filter(function (id) { return !known[id]; });
    known = now;
    fresh.forEach(function (id, i) { window.setTimeout(play, i * CHIME_GAP_MS); });
  }

  function setConnection(text, state) {
    var el = document.getElementById("console-connection");
    if (el) { el.textContent = text; el.setAttribute("data-state", state); }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/board/ws?after=" + lastEventId);
    socket.onopen = function () { setConnection("live", "live"); };
    socket.onmessage = function (message) {
      var markers = String(message.data).match(/<output[^>]*id="board-position"[^>]*>/g) || [];
      markers.forEach(function (tag) {
        var kind = /data-event-kind="([^"]*)"/.exec(tag);
        var id = /data-last-event-id="(\d+)"/.exec(tag);
        if (id) lastEventId = id[1];
        if (kind && kind[1] !== "heartbeat" && queue) window.htmx.trigger(queue, "refresh");
      });
    };
    socket.onclose = function () {
      setConnection("reconnecting…", "down");
      window.setTimeout(connect, RECONNECT_MS);
    };
  }

  function tick() {
    document.querySelectorAll("#overflow-queue time.waiting").forEach(function (el) {
      var minutes = Math.max(0, Math.floor((Date.now() - Date.parse(el.getAttribute("datetime"))) / 60000));
      el.textContent = minutes < 60 ? minutes + " min" : Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
    });
  }

  document.body.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.detail.target === queue) { noteNewEntries(); tick(); }
  });

  // A refused field comes back (422) as the pane with the message beside it: show it, not an error box.
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.xhr.status === 422 && evt.detail.target === pane && /overflow-lead/.test(evt.detail.xhr.responseText)) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  // On a phone the lead opens on its own page: a queue link navigates instead of filling the pane.
  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    var link = evt.detail.elt;
    if (NARROW.matches && link && link.hasAttribute && link.hasAttribute("data-lead-link")) {
      evt.preventDefault();
      window.location.href = link.getAttribute("href");
    }
  });
  document.body.addEventListener("htmx:afterRequest", function (evt) {
    var button = evt.detail.elt;
    if (!NARROW.matches || !evt.detail.successful || !button || !button.hasAttribute || !button.hasAttribute("data-claim")) return;
    var item = button.closest("li.queue-item");
    if (item) window.location.href = "/overflow/leads/" + item.getAttribute("data-lead-id");
  });

  function start() {
    var toggle = document.getElementById("sound-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        window.localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on");
        showToggle();
        if (soundOn()) play(); // inside the click, which unlocks audio for the page
      });
    }
    showToggle();
    known = queueIds();
    tick();
    window.setInterval(tick, 30000);
    if (window.WebSocket) connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
