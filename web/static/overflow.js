// The overflow console listens on the board's live feed (the hub sends an agent only overflow leads
// of its call center's practices) and reloads its queue when one changes; the slow poll is a backstop.
(function () {
  "use strict";
  var RECONNECT_MS = 2000; // a dropped socket comes back within two seconds and replays what it missed
  var queue = document.getElementById("overflow-queue");
  if (!queue || !window.WebSocket) return;
  var lastEventId = queue.getAttribute("data-last-event-id") || "0";

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/board/ws?after=" + lastEventId);
    socket.onmessage = function (message) {
      var marker = /data-event-kind="([^"]*)"[^>]*?(?:data-last-event-id="(\d+)")?/.exec(message.data);
      if (!marker) return;
      if (marker[2]) lastEventId = marker[2];
      if (marker[1] !== "heartbeat") window.htmx.trigger(queue, "refresh");
    };
    socket.onclose = function () { window.setTimeout(connect, RECONNECT_MS); };
  }
  connect();
})();
