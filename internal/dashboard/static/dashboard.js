// kobo dashboard: progressive enhancement only. Every page works without
// this file; it adds copy buttons, confirmations, the statement page's
// refresh and the sandbox's "link a test account" button.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var el = document.getElementById(b.getAttribute("data-copy"));
      var text = el ? el.textContent.trim() : "";
      var done = function () { b.textContent = "Copied"; setTimeout(function () { b.textContent = "Copy"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { select(el); done(); });
      } else { select(el); done(); }
    });
  });
  function select(el) {
    var r = document.createRange(); r.selectNodeContents(el);
    var s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
    try { document.execCommand("copy"); } catch (e) {}
  }
  document.querySelectorAll("[data-confirm]").forEach(function (b) {
    b.addEventListener("click", function (ev) { if (!window.confirm(b.getAttribute("data-confirm"))) ev.preventDefault(); });
  });
  var vf = document.getElementById("verify-file");
  if (vf) {
    vf.addEventListener("change", function () {
      var out = document.getElementById("verify-file-result"), f = vf.files[0];
      if (!f) return;
      if (!window.crypto || !crypto.subtle) { out.textContent = "This browser cannot compute the fingerprint here (it needs https); use the command below."; return; }
      f.arrayBuffer().then(function (b) { return crypto.subtle.digest("SHA-256", b); }).then(function (h) {
        var hex = Array.prototype.map.call(new Uint8Array(h), function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
        var ok = hex === vf.getAttribute("data-sha256");
        out.className = ok ? "ok" : "ferr";
        out.textContent = ok ? "Match: this file is the statement kobo issued." : "No match: this file is not the statement kobo issued (fingerprint " + hex + ").";
      });
    });
  }
  if (document.querySelector("[data-refresh]")) setTimeout(function () { location.reload(); }, 1500);

  var link = document.getElementById("link-test");
  if (link) {
    link.addEventListener("click", function () {
      var go = function () {
        var c = new window.Connect({
          key: link.getAttribute("data-key"), reference: "dashboard-sandbox",
          onSuccess: function (d) {
            document.getElementById("exchange-code").value = d.code;
            document.getElementById("exchange-form").submit();
          }
        });
        c.setup(); c.open();
      };
      if (window.Connect) return go();
      var s = document.createElement("script");
      s.src = "/connect.js"; s.onload = go;
      document.head.appendChild(s);
    });
  }
})();
