// Behaviour every page shares, kept out of the markup so the Content Security Policy can forbid
// inline scripts (htmx's hx-on attributes are inline scripts too).
(function () {
  "use strict";

  // A form marked data-reset-on-success is cleared after a successful htmx request; a hidden
  // input marked data-one-time-key gets a fresh key, so the next submit is a new request.
  document.body.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (!evt.detail.successful || !form || !form.hasAttribute || !form.hasAttribute("data-reset-on-success")) return;
    form.reset();
    form.querySelectorAll("[data-one-time-key]").forEach(function (input) {
      input.value = window.crypto.randomUUID();
    });
  });

  // A form's answer of 422 that is the form's card again, with the message beside the field, is
  // swapped like a success when the target asks for it (data-errors-in-place).
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    if (evt.detail.xhr.status === 422 && target && target.closest && target.closest("[data-errors-in-place]")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  // htmx leaves error answers unswapped; a page that names a data-error-target shows them there
  // (for instance "Omar has already claimed this lead" on the overflow console).
  document.body.addEventListener("htmx:responseError", function (evt) {
    var targetId = document.body.getAttribute("data-error-target");
    var panel = targetId && document.getElementById(targetId);
    if (panel) panel.insertAdjacentHTML("afterbegin", evt.detail.xhr.responseText);
  });

  // The navigation's unread-texts count follows the board's live feed too (pages without the board's
  // socket use web/static/live.js, which does the same).
  var TEXT_KINDS = ["lead.sms_received", "lead.contacted", "lead.opt_out_flagged", "lead.texts_read", "lead.contact_logged"];
  document.body.addEventListener("htmx:wsAfterMessage", function () {
    var marker = document.getElementById("board-position");
    var badge = document.getElementById("unread-texts");
    if (marker && badge && TEXT_KINDS.indexOf(marker.getAttribute("data-event-kind")) >= 0) window.htmx.trigger(badge, "refresh");
  });

  // The upload component (web/templates/_upload.html): a file over data-max-bytes is refused before it
  // is sent, with the same words the server would use.
  document.body.addEventListener("change", function (evt) {
    var input = evt.target;
    if (!input || input.type !== "file" || !input.hasAttribute("data-max-bytes")) return;
    var limit = Number(input.getAttribute("data-max-bytes"));
    var file = input.files && input.files[0];
    var tooBig = file && limit && file.size > limit;
    input.setCustomValidity(tooBig ? "The file is larger than " + Math.round(limit / 1e6) + " MB; split it or leave out old years." : "");
    if (tooBig) input.reportValidity();
  });
})();

// Administration forms (web/templates/_form.html): after a refused save, focus the error summary so a
// screen reader reads what to fix, and the page shows it first.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
