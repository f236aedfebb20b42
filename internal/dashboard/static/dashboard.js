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
