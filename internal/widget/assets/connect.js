/*! kobo connect.js: the loader for kobo's hosted Connect widget. Same API as
 * @mono.co/connect.js (new Connect({key, onSuccess, onClose, onLoad, onEvent,
 * reference, scope, data}), setup, open, close, reauthorise), plus a host
 * option that defaults to the origin this script was served from. Unlike
 * Mono's loader it ignores messages that do not come from the widget's origin.
 */
(function (root) {
  "use strict";
  var script = document.currentScript;
  var defaultHost = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var EVENTS = {
    "mono.connect.widget_opened": "OPENED",
    "mono.connect.widget_loaded": "LOADED",
    "mono.connect.error_occured": "ERROR",
    "mono.connect.institution_selected": "INSTITUTION_SELECTED",
    "mono.connect.auth_method_switched": "AUTH_METHOD_SWITCHED",
    "mono.connect.on_exit": "EXIT",
    "mono.connect.login_attempt": "SUBMIT_CREDENTIALS",
    "mono.connect.mfa_submitted": "SUBMIT_MFA",
    "mono.connect.account_linked": "ACCOUNT_LINKED",
    "mono.connect.account_selected": "ACCOUNT_SELECTED"
  };
  var RESERVED = { key: 1, onSuccess: 1, onClose: 1, onLoad: 1, onEvent: 1, host: 1 };

  function Connect(config) {
    if (!config || !config.key) throw new Error("PUBLIC_KEY is required");
    if (typeof config.onSuccess !== "function") throw new Error("onSuccess callback is required");
    this.config = config;
    this.host = String(config.host || defaultHost).replace(/\/+$/, "");
    this.origin = new URL(this.host).origin;
    this.extra = {};
    this.container = null;
    this.iframe = null;
    this.listener = this.onMessage.bind(this);
  }

  Connect.prototype.url = function () {
    var c = this.config, q = new URLSearchParams();
    q.set("key", c.key);
    q.set("referrer", location.href);
    q.set("version", "2023-12-14");
    var opts = Object.assign({}, c, this.extra);
    if (!opts.scope) opts.scope = "auth";
    Object.keys(opts).forEach(function (k) {
      if (RESERVED[k] || opts[k] === undefined || opts[k] === null || typeof opts[k] === "function") return;
      q.set(k, typeof opts[k] === "object" ? JSON.stringify(opts[k]) : String(opts[k]));
    });
    return this.host + "/connect/?" + q.toString();
  };

  Connect.prototype.setup = function (config) {
    this.extra = Object.assign({}, this.extra, config || {});
    this.teardown();
    var div = document.createElement("div");
    div.id = "mono-connect--widget-div";
    div.style.cssText = "display:none;position:fixed;inset:0;z-index:999999999;background:rgba(0,0,0,0.6);";
    var loader = document.createElement("div");
    loader.id = "mono-connect-app-loader";
    loader.style.cssText = "position:absolute;top:50%;left:50%;transform:translate(-50%,-50%);color:#fff;font:14px system-ui,sans-serif";
    loader.textContent = "Loading…";
    var frame = document.createElement("iframe");
    frame.id = "mono-connect--frame-id";
    frame.title = "Mono connect";
    frame.src = this.url();
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("allow", "clipboard-write; clipboard-read; camera");
    // The sandbox is Mono's loader's, plus allow-popups-to-escape-sandbox.
    // The windows the widget opens are the bank's own consent page (a
    // redirect or OAuth consent) or a configured provider's connection
    // window; without it they would inherit this sandbox (no dialogs, no
    // downloads, no document.domain) and real banks' pages break in it. A
    // bank's page is opened with noopener, so escaping the sandbox gives
    // it no hold on the widget or on this page, and the widget itself
    // stays sandboxed.
    frame.setAttribute("sandbox", "allow-forms allow-scripts allow-same-origin allow-top-navigation-by-user-activation allow-popups allow-popups-to-escape-sandbox");
    frame.style.cssText = "position:absolute;inset:0;width:100%;height:100%;border:0;visibility:hidden;";
    var self = this;
    frame.onload = function () {
      loader.style.display = "none";
      frame.style.visibility = "visible";
      // focus moves into the dialog (the widget then focuses its step)
      if (self.container && self.container.style.display !== "none") frame.focus();
      self.emit("LOADED", {});
      if (typeof self.config.onLoad === "function") self.config.onLoad();
    };
    div.appendChild(loader);
    div.appendChild(frame);
    document.body.appendChild(div);
    this.container = div;
    this.iframe = frame;
  };

  // reauthorise takes a re-auth token from POST /accounts/{id}/reauthorise.
  // An account id (connect.js 2.1+) is passed on as Mono's loader does,
  // and kobo's widget answers that it needs a token: the public key and an
  // account id are both public, so they cannot be what lets a page make
  // kobo log in to a customer's bank.
  Connect.prototype.reauthorise = function (tokenOrAccount) {
    if (!tokenOrAccount) throw new Error("Account ID is required for re-authorisation");
    var extra = { scope: "reauth" };
    if (/^[0-9a-f]{24}$/.test(tokenOrAccount)) {
      extra.data = Object.assign({}, this.config.data || {}, { account: tokenOrAccount });
    } else {
      extra.reauth_token = tokenOrAccount;
    }
    this.extra = {};
    this.setup(extra);
  };

  Connect.prototype.open = function () {
    if (!this.container) this.setup();
    // the launcher gets focus back when the widget closes
    this.launcher = document.activeElement;
    this.container.style.display = "block";
    if (this.iframe && this.iframe.style.visibility === "visible") this.iframe.focus();
    window.addEventListener("message", this.listener, false);
    document.body.style.overflow = "hidden";
    this.emit("OPENED", { reference: this.config.reference || null, timestamp: Date.now() });
  };

  Connect.prototype.close = function () {
    window.removeEventListener("message", this.listener, false);
    this.teardown();
    document.body.style.overflow = "";
    var back = this.launcher;
    this.launcher = null;
    if (back && back.focus && document.contains(back)) back.focus();
    if (typeof this.config.onClose === "function") this.config.onClose();
  };

  Connect.prototype.teardown = function () {
    if (this.container && this.container.parentNode) this.container.parentNode.removeChild(this.container);
    this.container = null;
    this.iframe = null;
  };

  Connect.prototype.emit = function (name, data) {
    if (typeof this.config.onEvent === "function") this.config.onEvent(name, data || {});
  };

  Connect.prototype.onMessage = function (event) {
    if (event.origin !== this.origin) return; // kobo checks where messages come from
    if (this.iframe && event.source !== this.iframe.contentWindow) return;
    var msg = event.data;
    if (typeof msg === "string") { try { msg = JSON.parse(msg); } catch (e) { return; } }
    if (!msg || typeof msg.type !== "string") return;
    var data = msg.data || {};
    switch (msg.type) {
      case "mono.connect.widget.account_linked":
      case "mono.connect.widget.charge_complete":
        this.config.onSuccess(Object.assign({}, data));
        this.emit("SUCCESS", data);
        this.close();
        return;
      case "mono.connect.widget.closed":
        this.close();
        return;
      default:
        if (EVENTS[msg.type]) this.emit(EVENTS[msg.type], data);
    }
  };

  root.Connect = Connect;
  if (typeof module === "object" && module.exports) module.exports = Connect;
})(window);
