/* Lead Router first-party journey script. No third-party requests, no personal data.
 * Paste: <script async src="https://YOUR-LEADROUTER/t.js" data-site="SITE_KEY"></script>
 * It keeps a random visitor id in a first-party cookie (and localStorage), starts a new visit after
 * 30 minutes idle or when an ad click lands, and posts each page's path and ad-click parameters
 * (UTM, gclid, fbclid) and the referrer's origin to /collect/SITE_KEY. Forms get the visitor id in
 * any field named "visitor_id", so the inquiry joins the visits that led to it.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset || !script.dataset.site) return;
  var endpoint = new URL(script.src).origin + "/collect/" + encodeURIComponent(script.dataset.site);
  var COOKIE = "_lr_vid";
  var YEAR = 60 * 60 * 24 * 395; // 13 months, the usual ceiling for an analytics cookie
  var IDLE_MS = 30 * 60 * 1000; // a visit ends after 30 minutes without a page
  var AD_KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid"];

  function randomId() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function store(kind, key, value) {
    try { window[kind].setItem(key, value); } catch (e) { /* storage blocked: cookie only */ }
  }
  function load(kind, key) {
    try { return window[kind].getItem(key); } catch (e) { return null; }
  }
  function cookie() {
    var match = document.cookie.match(/(?:^|; )_lr_vid=([A-Za-z0-9_-]{8,64})/);
    return match ? match[1] : null;
  }

  var visitorId = cookie() || load("localStorage", COOKIE) || randomId();
  document.cookie = COOKIE + "=" + visitorId + "; max-age=" + YEAR + "; path=/; SameSite=Lax" +
    (location.protocol === "https:" ? "; Secure" : "");
  store("localStorage", COOKIE, visitorId);

  var params = new URLSearchParams(location.search);
  var ad = {};
  var landedFromAd = false;
  AD_KEYS.forEach(function (key) {
    var value = params.get(key);
    if (value) { ad[key] = value; landedFromAd = true; }
  });
  var referralCode = params.get("lr_ref");
  if (referralCode && /^[A-Za-z0-9]{4,16}$/.test(referralCode)) {
    store("sessionStorage", "_lr_ref", referralCode);
    landedFromAd = true; // a patient's referral link starts a visit of its own, like an ad click
  } else {
    referralCode = null;
  }
  var now = Date.now();
  var visitId = load("sessionStorage", "_lr_visit");
  var lastSeen = Number(load("sessionStorage", "_lr_seen") || 0);
  if (!visitId || landedFromAd || now - lastSeen > IDLE_MS) visitId = randomId();
  store("sessionStorage", "_lr_visit", visitId);
  store("sessionStorage", "_lr_seen", String(now));

  var visit = {
    visitor_id: visitorId,
    visit_id: visitId,
    url: location.origin + location.pathname, // no query string: only the ad keys above are sent
    referrer: document.referrer ? new URL(document.referrer).origin : ""
  };
  for (var key in ad) visit[key] = ad[key];
  if (referralCode) visit.referral_code = referralCode;
  var body = JSON.stringify(visit);
  // text/plain keeps this a simple CORS request (no preflight); the server reads it as JSON.
  if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], { type: "text/plain" })))) {
    fetch(endpoint, { method: "POST", body: body, keepalive: true, mode: "cors",
      credentials: "omit", headers: { "Content-Type": "text/plain" } }).catch(function () {});
  }

  function fillForms() {
    var fields = document.querySelectorAll('input[name="visitor_id"]');
    for (var i = 0; i < fields.length; i++) if (!fields[i].value) fields[i].value = visitorId;
    var code = load("sessionStorage", "_lr_ref");
    var codes = document.querySelectorAll('input[name="referral_code"]');
    for (var j = 0; code && j < codes.length; j++) if (!codes[j].value) codes[j].value = code;
  }
  window.leadrouter = { visitorId: visitorId, visitId: visitId };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fillForms);
  else fillForms();
})();
