// kobo Connect widget. It runs inside the iframe connect.js (Mono's or
// kobo's) opens, drives the connect state machine through /connect/api/,
// and tells the parent page what happens with connect.js's postMessage
// protocol. Everything is built with DOM calls and textContent: bank names,
// form hints and messages never become HTML.
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);

  // data and selectedInstitution arrive as JSON, single- or
  // double-URI-encoded depending on the connect.js version.
  function jsonParam(name) {
    var v = params.get(name);
    for (var i = 0; v && i < 3; i++) {
      try { var x = JSON.parse(v); return typeof x === "string" ? JSON.parse(x) : x; } catch (e) {}
      try { var d = decodeURIComponent(v); if (d === v) break; v = d; } catch (e) { break; }
    }
    return null;
  }

  var cfg = {
    key: params.get("key") || "",
    reference: params.get("reference") || "",
    scope: params.get("scope") || "auth",
    data: jsonParam("data") || {},
    selected: jsonParam("selectedInstitution"),
    reauthToken: params.get("reauth_token") || "",
    link: params.get("link") || "",
    // back from a bank's redirect consent (GET /connect/callback/{provider})
    returned: params.get("kobo_session") || "",
    returnStatus: params.get("status") || "",
    returnMessage: params.get("message") || ""
  };
  var state = { app: null, institutions: [], inst: null, method: null, session: "", reauth: false, history: [] };
  var card = document.querySelector(".card");
  var screen = document.getElementById("screen");
  var backBtn = document.getElementById("back");
  var pageName = "LOADING";
  // screens where closing loses nothing, so no "are you sure?"
  var noConfirm = { CONSENT: 1, SUCCESS: 1, ERROR: 1, LOCKED: 1, ATTEMPTS: 1, CLOSED: 1, EMBEDDED_CLOSED: 1, RETURNED: 1, REAUTH: 1 };

  // ---- protocol ----------------------------------------------------------
  function post(type, data) {
    var msg = { type: type, data: Object.assign({ reference: cfg.reference || null, timestamp: Date.now() }, data || {}) };
    if (window.parent && window.parent !== window) window.parent.postMessage(msg, "*");
    if (window.MonoClientInterface && typeof window.MonoClientInterface.postMessage === "function") {
      try { window.MonoClientInterface.postMessage(JSON.stringify(msg)); } catch (e) {}
    }
  }
  // requestClose is the close button and Escape: on the success screen
  // it is Continue (the code still reaches onSuccess); mid-flow it asks
  // first, as Plaid's exit pane does.
  function requestClose() {
    if (pageName === "SUCCESS" && state.done) return state.done();
    if (noConfirm[pageName] || document.getElementById("exit")) return close();
    confirmExit();
  }
  function confirmExit() {
    var back = document.activeElement, hadBack = !backBtn.hidden;
    var pane;
    function stay() { pane.remove(); screen.hidden = false; backBtn.hidden = !hadBack; if (back && back.focus) back.focus(); }
    pane = el("section", { id: "exit", role: "alertdialog", "aria-modal": "true", "aria-labelledby": "exit-title", "aria-describedby": "exit-text" },
      el("h1", { id: "exit-title", tabindex: "-1", text: "Exit without linking?" }),
      p((state.inst ? "Your " + state.inst.name + " account" : "Your account") + " is not " + (state.reauth ? "reconnected" : "linked") + " yet. If you exit now, " + appName("the app") + " will not be able to read it and you will have to start again.", "muted"),
      el("button", { "class": "btn", type: "button", id: "exit-stay", text: "Continue linking", onclick: stay }),
      el("button", { "class": "btn secondary", type: "button", id: "exit-confirm", text: "Exit", onclick: close }));
    pane.querySelector("p").id = "exit-text";
    pane.stay = stay;
    screen.hidden = true;
    backBtn.hidden = true;
    screen.after(pane);
    pane.querySelector("h1").focus();
  }
  function close() {
    // tell kobo the customer left before linking (the link funnel's
    // "exited"); keepalive lets it finish after the iframe is gone
    if (state.session && pageName !== "SUCCESS") {
      var h = { "Accept": "application/json", "x-session-id": state.session };
      if (cfg.link) h["x-link-token"] = cfg.link; else h["x-public-key"] = cfg.key;
      try { fetch("/connect/api/exit", { method: "POST", headers: h, credentials: "omit", keepalive: true }).catch(function () {}); } catch (e) {}
    }
    post("mono.connect.on_exit", { pageName: pageName });
    post("mono.connect.widget.closed", {});
    if (!cfg.link) return;
    if (pageName === "SUCCESS") return finishLink(state.redirect);
    api("POST", "link/cancel", {}).then(function (r) { finishLink(r.redirect); }).catch(function () { finishLink(null); });
  }
  // finishLink ends a Connect Link flow: back to the partner, or a last page.
  function finishLink(redirect) {
    if (redirect) { location.assign(redirect); return; }
    render("CLOSED", [el("h1", { text: "All done" }), p("You can close this window now.", "muted")]);
  }

  // ---- API ---------------------------------------------------------------
  function api(method, path, body, extra) {
    var headers = Object.assign({ "Accept": "application/json" }, extra);
    if (cfg.link) headers["x-link-token"] = cfg.link; else headers["x-public-key"] = cfg.key;
    if (state.session) headers["x-session-id"] = state.session;
    if (body) headers["Content-Type"] = "application/json";
    return fetch("/connect/api/" + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, credentials: "omit" })
      .then(function (r) {
        return r.json().catch(function () { return { message: "Unexpected response (" + r.status + ")" }; }).then(function (j) {
          if (!r.ok) { var e = new Error(j.message || ("Request failed (" + r.status + ")")); e.status = r.status; e.body = j; throw e; }
          return j;
        });
      });
  }

  // ---- DOM helpers -------------------------------------------------------
  function el(tag, attrs) {
    var n = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") n.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") n.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) n.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) n.appendChild(arguments[i]);
    return n;
  }
  function p(text, cls) { return el("p", { text: text, "class": cls }); }
  // render shows a screen and moves focus into it: to its first field,
  // or else to its heading, so a screen reader reads the new step first
  // and the next Tab reaches its first control.
  function render(name, nodes, canGoBack) {
    pageName = name;
    var pane = document.getElementById("exit");
    if (pane) pane.remove();
    screen.hidden = false;
    screen.replaceChildren.apply(screen, nodes.filter(Boolean));
    screen.setAttribute("data-screen", name);
    backBtn.hidden = !canGoBack;
    focusStep();
  }
  function focusStep() {
    var f = screen.querySelector("input") || screen.querySelector("h1");
    if (f) { if (f.tagName === "H1") f.tabIndex = -1; f.focus({ preventScroll: true }); }
  }
  // a frame set up early and shown later could not take focus while it
  // was hidden: when the loader focuses the frame, the step takes it
  window.addEventListener("focus", function () {
    if (!card.contains(document.activeElement) && !document.getElementById("exit")) focusStep();
  });
  // focusables are the dialog's controls a Tab may reach now.
  function focusables() {
    return [].filter.call(card.querySelectorAll("button,input,a[href],[tabindex]"), function (n) {
      return !n.disabled && n.tabIndex >= 0 && !n.closest("[hidden],[inert]") && n.getClientRects().length;
    });
  }
  // trap keeps Tab inside the dialog: past the last control it comes
  // back to the first, before the first to the last.
  function trap(e) {
    var list = focusables();
    if (!list.length) return;
    var first = list[0], last = list[list.length - 1], at = document.activeElement;
    var inside = card.contains(at) && at !== card;
    if (e.shiftKey && (at === first || !inside)) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (at === last || !inside)) { e.preventDefault(); first.focus(); }
  }
  function busy(btn, on) { btn.disabled = on; if (on) { btn.dataset.label = btn.textContent; btn.textContent = "Please wait…"; } else if (btn.dataset.label) { btn.textContent = btn.dataset.label; } }
  function errorBox(msg) { return el("div", { "class": "error", role: "alert", text: msg }); }

  // ---- screens -----------------------------------------------------------
  function fatal(message, retry) {
    post("mono.connect.error_occured", { errorType: "ERROR", errorMessage: message });
    render("ERROR", [
      el("h1", { text: "Something went wrong" }), p(message, "muted"),
      retry ? el("button", { "class": "btn", type: "button", text: "Try again", onclick: retry }) : null,
      el("button", { "class": "btn secondary", type: "button", text: "Close", onclick: close })
    ]);
  }

  // appName is the name the customer knows the partner by.
  function appName(fallback) { return state.app ? (state.app.display_name || state.app.name) : fallback; }

  // httpsLink is a link to a partner's page, opened beside the widget;
  // only https addresses are shown (the dashboard accepts nothing else).
  function httpsLink(url, text, id) {
    if (!/^https:\/\//i.test(url || "")) return null;
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer", id: id, text: text });
  }

  // brandColor paints the buttons in the partner's colour when white text
  // on it stays readable (WCAG AA, 4.5:1); otherwise kobo's blue stays.
  function brandColor(hex) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
    if (!m) return;
    var lum = [m[1], m[2], m[3]].map(function (h) {
      var c = parseInt(h, 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var l = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    if (1.05 / (l + 0.05) >= 4.5) document.documentElement.style.setProperty("--brand", hex);
  }

  function consent() {
    var name = appName("This app");
    var shared = el("ul", { "class": "shared", id: "shared" });
    ["Account name, number and type", "Balance", "Transactions", "Identity (name, contact details, BVN)"].forEach(function (t) {
      shared.appendChild(el("li", { text: t }));
    });
    var privacy = httpsLink(state.app && state.app.privacy_url, name + "'s privacy policy", "privacy-link");
    var terms = httpsLink(state.app && state.app.terms_url, "terms", "terms-link");
    var links = privacy || terms ? el("p", { "class": "muted small", id: "consent-links" }, document.createTextNode("Read "), privacy,
      privacy && terms ? document.createTextNode(" and the ") : null, terms, document.createTextNode(".")) : null;
    render("CONSENT", [
      el("h1", { text: name + " uses kobo to link your bank account" }),
      p("You will log in to your bank here. " + name + " gets read-only access to:", "muted"),
      shared,
      p("Access lasts until you or " + name + " unlink the account; your bank may ask you to log in again from time to time. " + name + " never sees your login details.", "muted"),
      links,
      el("button", { "class": "btn", type: "button", id: "continue", text: "Continue", onclick: institutions })
    ]);
  }

  // matches finds a bank by what customers type: part of its name or of
  // one of its aliases from the catalog ("guaranty", "GTB"), their
  // initials ("FBN" for First Bank of Nigeria) or its bank code ("058").
  function matches(inst, q) {
    if (!q) return true;
    if (inst.bank_code && inst.bank_code.indexOf(q) === 0) return true;
    return [inst.name].concat(inst.aliases || []).some(function (n) {
      n = n.toLowerCase();
      if (n.indexOf(q) >= 0) return true;
      var initials = n.split(/[^a-z0-9]+/).filter(function (w) { return w && w !== "of" && w !== "and" && w !== "the"; })
        .map(function (w) { return w.charAt(0); }).join("");
      return q.length >= 2 && initials.indexOf(q) === 0;
    });
  }
  // byPopularity lists the catalog's popular banks first, in its order,
  // then the rest by name.
  function byPopularity(a, b) {
    var pa = a.popular || 1e9, pb = b.popular || 1e9;
    return pa - pb || a.name.localeCompare(b.name);
  }

  function institutions() {
    var type = "PERSONAL_BANKING";
    var search = el("input", { type: "search", placeholder: "Search by bank name or code", "aria-label": "Search for your bank", id: "search" });
    var list = el("ul", { "class": "list", id: "institutions" });
    var tabs = el("div", { "class": "tabs", role: "group", "aria-label": "Account type" });
    function tab(t, label) {
      var b = el("button", { type: "button", "aria-pressed": String(t === type), text: label, onclick: function () {
        type = t; tabs.querySelectorAll("button").forEach(function (x) { x.setAttribute("aria-pressed", String(x === b)); }); fill();
      } });
      tabs.appendChild(b);
    }
    tab("PERSONAL_BANKING", "Personal"); tab("BUSINESS_BANKING", "Business");
    function fill() {
      var q = search.value.trim().toLowerCase();
      var items = state.institutions.filter(function (i) { return i.type === type && matches(i, q); }).sort(byPopularity);
      list.replaceChildren.apply(list, items.map(function (i) {
        return el("li", {}, el("button", { type: "button", "class": "item", "data-institution": i.name, onclick: function () { pick(i); } },
          el("img", { src: i.icon, alt: "", width: 32, height: 32 }), el("span", { text: i.name }, statusNote(i, "small"))));
      }));
      if (!items.length) list.appendChild(el("li", {}, p("No bank matches “" + search.value + "”.", "muted")));
    }
    search.addEventListener("input", fill);
    render("INSTITUTIONS", [el("h1", { text: "Select your bank" }), tabs, search, list], false);
    fill();
  }

  // statusNote is kobo's word on a bank that is slow or failing (or the
  // operator's), said before the customer tries to log in
  function statusNote(inst, tag) {
    return inst.status_note ? el(tag, { "class": "status-note status-" + (inst.status || "up"), "data-status": inst.status, text: inst.status_note }) : null;
  }

  function pick(inst, method) {
    state.inst = inst;
    var methods = inst.auth_methods || [];
    if (method === "statement_upload" || (methods.length === 1 && methods[0].type === "statement_upload")) {
      state.method = "statement_upload";
      post("mono.connect.institution_selected", { institution: { id: inst.id, name: inst.name }, authMethod: state.method });
      return startUpload();
    }
    if (!method && methods.length > 1) return chooseMethod(inst);
    state.method = method || (methods[0] && methods[0].type) || "internet_banking";
    post("mono.connect.institution_selected", { institution: { id: inst.id, name: inst.name }, authMethod: state.method });
    startSession();
  }

  function chooseMethod(inst) {
    var prev = state.method;
    var ul = el("ul", { "class": "list", id: "methods" });
    inst.auth_methods.forEach(function (m) {
      ul.appendChild(el("li", {}, el("button", { type: "button", "class": "item", "data-method": m.type, onclick: function () {
        if (prev && prev !== m.type) post("mono.connect.auth_method_switched", { prevAuthMethod: prev, authMethod: m.type });
        pick(inst, m.type);
      } }, el("span", { text: m.name }))));
    });
    ul.appendChild(el("li", {}, el("button", { type: "button", "class": "item", "data-method": "statement_upload", onclick: function () {
      pick(inst, "statement_upload");
    } }, el("span", { text: "Upload a statement" }))));
    render("AUTH_METHOD", [el("h1", { text: "How do you log in to " + inst.name + "?" }), ul], true);
  }

  function startSession() {
    render("LOADING", [p("Connecting to " + state.inst.name + "…", "muted")]);
    var body = { institution: state.inst.id, auth_method: state.method, reference: cfg.reference, scope: "auth" };
    if (cfg.data && cfg.data.customer) body.customer = cfg.data.customer;
    api("POST", "session", body).then(function (r) {
      state.session = r.session_id;
      loginForm(r.form, "");
    }).catch(function (e) { fatal(e.message, startSession); });
  }

  // form renders a bank UI object ({title, form:[{name, hint, contentType, maxLength}]}).
  // Labels are the bank's own hints; an error is attached to the field it
  // is about (aria-describedby, aria-invalid), and an error about the whole
  // form (wrong credentials) to every field.
  function form(ui, message, submitLabel, onSubmit, screenName) {
    var err = null;
    var f = el("form", { novalidate: true, id: "bank-form" });
    var fields = (ui && ui.form) || [];
    fields.forEach(function (field) {
      var type = field.contentType === "password" ? "password" : "text";
      // a one-time code (OTP, token) is offered from the phone's messages
      var oneTime = /^(otp|token|code)$/.test(field.name);
      var pin = /^(pin|passcode)$/.test(field.name) || /\bPIN\b|\d-digit/.test(field.hint || "");
      var hintId = field.hint && labelFor(field) !== field.hint ? "f-" + field.name + "-hint" : null;
      var input = el("input", { type: type, name: field.name, id: "f-" + field.name,
        autocomplete: oneTime || (pin && screenName === "MFA") ? "one-time-code" : (type === "password" ? "current-password" : "off"),
        maxlength: field.maxLength || null, inputmode: field.contentType === "number" || oneTime || pin ? "numeric" : null, required: true,
        "aria-describedby": hintId });
      input.dataset.hint = hintId || "";
      f.appendChild(el("label", { "for": "f-" + field.name }, document.createTextNode(labelFor(field)), input,
        hintId ? el("span", { "class": "hint", id: hintId, text: field.hint }) : null));
    });
    var btn = el("button", { "class": "btn", type: "submit", text: submitLabel, id: "submit" });
    f.appendChild(btn);
    // showError puts msg beside the field named (or above the form, for
    // all of them) and moves focus to the field to fix
    function showError(msg, name) {
      if (err) err.remove();
      f.querySelectorAll("input").forEach(function (i) {
        i.removeAttribute("aria-invalid");
        if (i.dataset.hint) i.setAttribute("aria-describedby", i.dataset.hint); else i.removeAttribute("aria-describedby");
        var old = document.getElementById(i.id + "-error"); if (old) old.remove();
      });
      var target = name && f.querySelector('[name="' + name + '"]');
      var id = target ? target.id + "-error" : "form-error";
      err = el("div", { "class": "error" + (target ? " field-error" : ""), id: id, role: "alert", text: msg });
      if (target) target.after(err); else f.before(err);
      (target ? [target] : f.querySelectorAll("input")).forEach(function (i) {
        i.setAttribute("aria-invalid", "true");
        i.setAttribute("aria-describedby", (id + " " + i.dataset.hint).trim());
      });
      var first = target || f.querySelector("input");
      if (first) first.focus();
    }
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var values = {}, missing = null;
      f.querySelectorAll("input").forEach(function (i) { values[i.name] = i.value; if (!i.value.trim() && !missing) missing = i; });
      if (missing) { showError(labelFor(fields.filter(function (x) { return x.name === missing.name; })[0] || { name: missing.name }) + " is required", missing.name); return; }
      busy(btn, true);
      onSubmit(values).catch(function (e) {
        busy(btn, false);
        post("mono.connect.error_occured", { errorType: e.status === 400 ? "LOGIN_ERROR" : "ERROR", errorMessage: e.message });
        if (e.body && e.body.closed) return deadEnd(e.body.closed, e.message);
        var fe = (e.body && e.body.errors || []).filter(function (x) { return f.querySelector('[name="' + x.field + '"]'); })[0];
        showError(e.message, fe && fe.field);
      });
    });
    var nodes = [el("h1", { text: (ui && ui.title) || "Log in" }), f];
    if (message) setTimeout(function () { showError(message); }, 0);
    return nodes;
  }
  // labelFor is a field's label: the bank's own hint ("UserID or Account
  // Number", the security question), else its name; an OTP's hint is
  // advice ("don't share…"), so it is described, not the label.
  function labelFor(field) {
    if (field.hint && !/^(otp|code)$/.test(field.name)) return field.hint;
    if (/^(otp|code)$/.test(field.name)) return "One-time code";
    var n = String(field.name || "").replace(/_/g, " ");
    return n.charAt(0).toUpperCase() + n.slice(1);
  }

  // consentKind is the consent step of the chosen auth method ("" for a
  // credential login).
  function consentKind() {
    var m = (state.inst && state.inst.auth_methods || []).filter(function (x) { return x.type === state.method; })[0];
    return (m && m.consent) || "";
  }

  // returnURL is this page, to come back to after a bank's redirect.
  function returnURL() {
    var q = new URLSearchParams(location.search);
    ["kobo_session", "status", "message", "kobo_popup"].forEach(function (k) { q.delete(k); });
    // framed, the bank's page opens in a window of its own, which comes
    // back here marked so it only says it is done
    if (window.parent && window.parent !== window) q.set("kobo_popup", "1");
    return location.origin + location.pathname + "?" + q.toString();
  }

  function loginForm(ui, message) {
    var kind = consentKind();
    var nodes = form(ui, message, kind === "token" ? "Connect" : kind === "redirect" || kind === "decoupled" || kind === "embedded" ? "Continue" : "Log in", function (values) {
      post("mono.connect.login_attempt", { institution: { id: state.inst.id, name: state.inst.name }, authMethod: state.method });
      if (kind === "redirect") values.redirect_url = returnURL();
      return api("POST", "login" + (state.reauth ? "?reauth=1" : ""), values).then(step);
    }, "LOGIN");
    nodes.splice(1, 0, p(kind === "token" ? "Paste the setup token " + state.inst.name + " gave you. It works once: the app gets read-only access, never your login." :
      "Enter the details you use for " + state.inst.name + " " + (state.method === "mobile_banking" ? "mobile" : "internet") + " banking.", "muted"));
    nodes.splice(1, 0, statusNote(state.inst, "p"));
    if (!state.reauth) nodes.push(el("button", { "class": "btn secondary", type: "button", id: "upload-instead", text: "Upload a statement instead",
      onclick: function () { pick(state.inst, "statement_upload"); } }));
    render("LOGIN", nodes, !state.reauth);
    // a sandbox key always wears the banner; a consent other than the
    // credential form is a real provider's, where "no real bank is
    // contacted" would be untrue
    sandboxBanner(kind === "" ? "Sandbox: no real bank is contacted" : "Sandbox app: for testing, not for customers");
    if (state.app && !state.app.live && state.session && kind === "") sandboxHint();
  }

  function sandboxBanner(text) {
    var b = document.getElementById("sandbox-banner");
    b.hidden = !!(state.app && state.app.live);
    if (text) b.textContent = text;
  }

  function sandboxHint() {
    api("GET", "sandbox").then(function (r) {
      var box = el("div", { "class": "sandbox", id: "sandbox-users" }, el("strong", { text: "Sandbox test users" }));
      (r.users || []).slice(0, 6).forEach(function (u) {
        var line = el("div", {}, el("code", { text: u.username }), document.createTextNode(" / "), el("code", { text: u.password }),
          document.createTextNode(" — " + u.description));
        box.appendChild(line);
      });
      if (pageName === "LOGIN") screen.appendChild(box);
    }).catch(function () {});
  }

  function step(r) {
    if (r.session_id) state.session = r.session_id;
    switch (r.responseCode) {
      case 99: return linked(r.code, r.account);
      case 101: return chooseAccount(r.accounts || []);
      case 102: return mfa(r.form);
      case 103: return redirectStep(r);
      case 104: return pendingStep(r);
      case 105: return embeddedStep(r);
      default: throw new Error(r.message || "The bank did not accept that");
    }
  }

  function mfa(ui) {
    var kind = ((ui && ui.form && ui.form[0] && ui.form[0].name) || "otp").toUpperCase();
    render("MFA", form(ui, "", "Continue", function (values) {
      post("mono.connect.mfa_submitted", { mfaType: kind === "ANSWER" ? "SECURITY_QUESTION" : kind });
      return api("POST", (state.reauth ? "login?reauth=1" : "commit"), values).then(step);
    }, "MFA"));
  }

  // ---- consent steps beyond credentials ----------------------------------
  function commitEmpty() { return api("POST", (state.reauth ? "login?reauth=1" : "commit"), {}).then(step); }

  // redirectStep: the bank's own page. Framed, it opens in a new window and
  // the widget asks kobo until the customer is back; top-level (Connect
  // Link), the page goes there and the callback brings it back here.
  // A 409 while the widget asks is the session held by another request:
  // above all the bank's callback, finishing the consent the customer has
  // just given in the other window. It is news to wait for, not an error
  // (a slow bank made the widget show "Something went wrong" the moment
  // the customer came back), so the widget asks again.
  function busy(e) { return e && e.status === 409; }
  function redirectStep(r) {
    var c = r.consent || {};
    if (c.approved) return commitEmpty();
    var framed = window.parent && window.parent !== window;
    var wait = null;
    function poll() {
      wait = setTimeout(function () {
        api("POST", (state.reauth ? "login?reauth=1" : "commit"), {}).then(function (x) {
          if (x.responseCode === 103 && !(x.consent && x.consent.approved)) return poll();
          step(x);
        }).catch(function (e) { if (busy(e)) return poll(); fatal(e.message); });
      }, 2000);
    }
    var go = el("button", { "class": "btn", type: "button", id: "consent-continue", text: "Continue to your bank", onclick: function () {
      if (!framed) { location.assign(c.url); return; }
      window.open(c.url, "_blank", "noopener");
      go.textContent = "Waiting for your bank…"; go.disabled = true;
      if (!wait) poll();
    } });
    render("REDIRECT", [el("h1", { text: "Continue at " + ((state.inst && state.inst.name) || "your bank") }),
      p("You will approve access on your bank's own page, then come back here.", "muted"), go]);
  }

  // pendingStep: the customer approves in their bank app; the widget asks
  // kobo again when it says to (kobo backs off and asks the bank).
  function pendingStep(r) {
    var c = r.consent || {};
    render("PENDING", [el("h1", { text: "Approve in your bank app" }), p(r.message || "Open your bank app to approve the request.", "muted"),
      el("div", { "class": "spinner", "aria-hidden": "true" })]);
    setTimeout(function () { commitEmpty().catch(function (e) { if (busy(e)) return pendingStep(r); fatal(e.message); }); }, Math.max(c.poll_after_ms || 0, 1000));
  }

  // embeddedStep: the provider's own widget, loaded from its script; it
  // hands back a code kobo exchanges. The adapter in the provider's config
  // says how its widget is driven.
  function embeddedStep(r) {
    var c = r.consent || {}, conf = c.config || {};
    render("EMBEDDED", [el("h1", { text: "Connect with " + ((state.inst && state.inst.name) || "your bank") }), p("Opening your bank's connection window…", "muted")]);
    function done(code) {
      render("LOADING", [p("Finishing…", "muted")]);
      api("POST", (state.reauth ? "login?reauth=1" : "commit"), { code: code }).then(step).catch(function (e) { fatal(e.message); });
    }
    var s = document.createElement("script");
    s.src = c.script;
    s.onerror = function () { fatal("Your bank's connection window could not be loaded."); };
    s.onload = function () {
      if (conf.adapter === "mono-connect" && typeof window.Connect === "function") {
        // Mono's connect.js turns every option but the callbacks into its
        // frame's query and JSON-encodes selectedInstitution itself, so it
        // gets the object. A re-auth opens with the token kobo's server
        // got for it (reauthorise), never setup's fresh link. Closing
        // Mono's window before it finished leaves the customer here: the
        // same way out as any other dead end.
        var finished = false, o = { key: conf.key, scope: conf.scope || "auth",
          onSuccess: function (d) { finished = true; done(d && d.code); }, onClose: function () { if (!finished) closedEarly(r); } };
        // an absent option must stay absent: connect.js would send "undefined"
        if (conf.reference || cfg.reference) o.reference = conf.reference || cfg.reference;
        var sel = conf.selectedInstitution;
        try { sel = typeof sel === "string" ? JSON.parse(sel) : sel; } catch (e) { sel = null; }
        if (sel && sel.id) o.selectedInstitution = sel;
        var w = new window.Connect(o);
        if (conf.reauth_token && typeof w.reauthorise === "function") w.reauthorise(conf.reauth_token);
        else if (typeof w.setup === "function") w.setup();
        w.open();
        return;
      }
      // any other provider posts {type: "kobo.embedded.code", code} to this window
      window.addEventListener("message", function onMsg(ev) {
        if (ev.data && ev.data.type === "kobo.embedded.code" && typeof ev.data.code === "string") {
          window.removeEventListener("message", onMsg);
          done(ev.data.code);
        }
      });
      if (conf.open && typeof window[conf.open] === "function") window[conf.open](conf);
    };
    document.head.appendChild(s);
  }

  // closedEarly is where closing the provider's own window leaves the
  // customer: open it again, another bank (not in a re-auth, nor when the
  // partner chose the bank) or close, as at the other dead ends.
  function closedEarly(r) {
    var bank = (state.inst && state.inst.name) || "your bank";
    render("EMBEDDED_CLOSED", [
      el("h1", { text: "The " + bank + " window was closed" }),
      p("Your account is not " + (state.reauth ? "reconnected" : "linked") + ". You can open the window again, or link an account at another bank.", "muted"),
      el("button", { "class": "btn", type: "button", id: "try-again", text: "Try again", onclick: function () { embeddedStep(r); } }),
      state.reauth || cfg.link && cfg.selected ? null : el("button", { "class": "btn secondary", type: "button", id: "another-bank", text: "Choose another bank", onclick: institutions }),
      el("button", { "class": "btn secondary", type: "button", id: "dead-close", text: "Close", onclick: close })
    ]);
  }

  function chooseAccount(accounts) {
    var ul = el("ul", { "class": "list", id: "accounts" });
    accounts.forEach(function (a) {
      ul.appendChild(el("li", {}, el("button", { type: "button", "class": "item", "data-account": a.index, onclick: function (ev) {
        var b = ev.currentTarget; b.disabled = true;
        post("mono.connect.account_selected", { selectedAccountsCount: 1 });
        api("POST", (state.reauth ? "login?reauth=1" : "commit"), { account: a.index }).then(step).catch(function (e) { b.disabled = false; fatal(e.message); });
      } }, el("span", {}, document.createTextNode(a.name), el("small", { text: a.type + " · " + a.accountNumber })))));
    });
    render("ACCOUNT_SELECTION", [el("h1", { text: "Choose the account to link" }), ul]);
  }

  // linked shows the success screen: the bank and the account's masked
  // number, and Continue. Only Continue (or closing this screen) hands the
  // code to onSuccess, as Mono's widget does; ACCOUNT_LINKED is sent now.
  function linked(code, account) {
    var inst = state.inst && state.inst.id ? { id: state.inst.id, name: state.inst.name } : null;
    var a = account || state.account || {};
    var bank = (state.inst && state.inst.name) || "Your bank";
    var go = el("button", { "class": "btn", type: "button", id: "success-continue", text: "Continue" });
    var linkDone = cfg.link ? api("POST", "link/complete", { code: code }) : null;
    var sent = false;
    state.done = function () {
      if (sent) return;
      sent = true;
      if (!linkDone) return post("mono.connect.widget.account_linked", { code: code });
      // Connect Link: kobo exchanged the code; the partner gets the account by webhook
      busy(go, true);
      linkDone.then(function (r) { state.redirect = r.redirect; finishLink(r.redirect); }).catch(function (e) { fatal(e.message); });
    };
    go.addEventListener("click", state.done);
    render("SUCCESS", [el("div", { "class": "success", "aria-hidden": "true", text: "✓" }),
      el("h1", { text: state.reauth ? "Account reconnected" : "Account linked" }),
      el("div", { "class": "linked", id: "linked-account" }, state.inst && state.inst.icon ? el("img", { src: state.inst.icon, alt: "", width: 40, height: 40 }) : null,
        el("span", {}, document.createTextNode(bank), a.number ? el("small", { text: (a.name ? a.name + " · " : "") + a.number }) : null)),
      p(appName("The app") + " can now read this account. You can unlink it at any time.", "muted"), go]);
    post("mono.connect.account_linked", { institution: inst });
    if (linkDone) linkDone.catch(function (e) { fatal(e.message); });
  }

  // deadEnd is where a session the bank ended leaves the customer: a
  // locked account or too many wrong answers. The way out is another
  // bank, another try (wrong answers only) or closing.
  function deadEnd(why, message) {
    var bank = (state.inst && state.inst.name) || "your bank";
    var locked = why === "locked";
    state.session = "";
    render(locked ? "LOCKED" : "ATTEMPTS", [
      el("h1", { text: locked ? "Your " + bank + " login is locked" : "Too many attempts" }),
      p(message, "muted"),
      p(locked ? "Contact " + bank + " to unlock it, then try again, or link an account at another bank." :
        "For your security this attempt has ended. You can try again, or link an account at another bank.", "muted"),
      !locked ? el("button", { "class": "btn", type: "button", id: "try-again", text: "Try again", onclick: function () {
        if (state.reauth) return reauthorise(); pick(state.inst, state.method); } }) : null,
      state.reauth || cfg.link && cfg.selected ? null : el("button", { "class": "btn" + (locked ? "" : " secondary"), type: "button", id: "another-bank", text: "Choose another bank", onclick: institutions }),
      el("button", { "class": "btn secondary", type: "button", id: "dead-close", text: "Close", onclick: close })
    ]);
  }

  // ---- statement upload ---------------------------------------------------
  // The customer's own statement file instead of a login, in a connect
  // session as a login is: a file picker, a password prompt when the PDF is
  // locked, the parse summary to confirm, then the same code to onSuccess.
  // The account is made when the partner exchanges the code.
  function startUpload() {
    render("LOADING", [p("Preparing the upload…", "muted")]);
    var body = { institution: state.inst.id, auth_method: "statement_upload", reference: cfg.reference, scope: "auth" };
    if (cfg.data && cfg.data.customer) body.customer = cfg.data.customer;
    api("POST", "session", body).then(function (r) {
      state.session = r.session_id;
      uploadForm("");
    }).catch(function (e) { fatal(e.message, startUpload); });
  }

  // uploadForm draws the picker; needPassword adds the PDF password field,
  // passwordError is shown under that field (a wrong password), and kept is
  // the file already chosen, so a password prompt does not make the
  // customer pick it again.
  function uploadForm(message, needPassword, passwordError, kept) {
    var err = null;
    var f = el("form", { novalidate: true, id: "upload-form" });
    var file = el("input", { type: "file", name: "file", id: "f-file", accept: ".pdf,.csv,.xlsx,.xls,.xml,.ofx,.qfx,.sta,.mt940,.txt,.json", required: true,
      "aria-describedby": "f-file-hint" });
    // fileError shows msg above the form, attached to the field it is about
    function fileError(msg, input) {
      var box = errorBox(msg);
      box.id = "upload-error";
      if (err) err.replaceWith(box); else f.before(box);
      err = box;
      [file, pw].forEach(function (i) {
        if (!i) return;
        i.removeAttribute("aria-invalid");
        var d = i === file ? "f-file-hint" : passwordError ? "f-password-error" : "";
        if (i === input) { d = "upload-error " + d; i.setAttribute("aria-invalid", "true"); }
        if (d.trim()) i.setAttribute("aria-describedby", d.trim()); else i.removeAttribute("aria-describedby");
      });
      input.focus();
    }
    f.appendChild(el("label", { "for": "f-file" }, document.createTextNode("Statement file"), file,
      el("span", { "class": "hint", id: "f-file-hint", text: kept ? "Chosen: " + kept.name + " (or choose another)" : "PDF, CSV, Excel, camt.053, OFX or MT940, up to 20 MB" })));
    var pw = null;
    if (needPassword) {
      pw = el("input", { type: "password", name: "password", id: "f-password", autocomplete: "off", required: true,
        "aria-invalid": passwordError ? "true" : null, "aria-describedby": passwordError ? "f-password-error" : null });
      f.appendChild(el("label", { "for": "f-password" }, document.createTextNode("PDF password"), pw,
        passwordError ? el("span", { "class": "error field-error", id: "f-password-error", role: "alert", text: passwordError }) : null,
        el("span", { "class": "hint", text: "The password your bank sent with the statement" })));
    }
    var btn = el("button", { "class": "btn", type: "submit", text: "Upload", id: "upload-submit" });
    f.appendChild(btn);
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var chosen = file.files.length ? file.files[0] : kept;
      if (!chosen) return fileError("Choose your statement file", file);
      if (pw && !pw.value) return fileError("Enter the PDF password", pw);
      busy(btn, true);
      uploadStatement(chosen, pw ? pw.value : "").then(function (r) {
        return uploadSummary(r.upload);
      }).catch(function (e) {
        if (e.status === 410) return fatal(e.message, startUpload); // the session is over: start another
        if (e.body && e.body.closed) return deadEnd(e.body.closed, e.message);
        var wantsPassword = (e.body && e.body.errors || []).some(function (x) { return x.field === "password"; });
        if (wantsPassword) return pw ? uploadForm("", true, e.message, chosen) : uploadForm(e.message, true, "", chosen);
        busy(btn, false);
        fileError(e.message, file);
        post("mono.connect.error_occured", { errorType: "ERROR", errorMessage: e.message });
      });
    });
    render("UPLOAD", [el("h1", { text: "Upload your " + (state.inst ? state.inst.name.replace(/ — upload a statement$/, "") : "bank") + " statement" }),
      p("Download a statement from your bank's app or internet banking, then upload it here. The file is read once and kept only for this link.", "muted"),
      f], true);
    if (message) fileError(message, pw || file);
  }

  function uploadStatement(file, password) {
    var body = new FormData();
    if (password) body.append("password", password);
    body.append("file", file, file.name);
    var headers = { "Accept": "application/json", "x-session-id": state.session };
    if (cfg.link) headers["x-link-token"] = cfg.link; else headers["x-public-key"] = cfg.key;
    return fetch("/connect/api/statement", { method: "POST", headers: headers, body: body, credentials: "omit" }).then(function (r) {
      return r.json().catch(function () { return { message: "Unexpected response (" + r.status + ")" }; }).then(function (j) {
        if (!r.ok) { var e = new Error(j.message || ("Upload failed (" + r.status + ")")); e.status = r.status; e.body = j; throw e; }
        return j;
      });
    });
  }

  function uploadSummary(u) {
    var dl = el("dl", { "class": "kv", id: "upload-summary" });
    function row(k, v) { if (v) { dl.appendChild(el("dt", { text: k })); dl.appendChild(el("dd", { text: v })); } }
    row("Bank", u.bank && u.bank.name);
    row("Account", u.account_number ? "••••" + String(u.account_number).slice(-4) : "");
    state.account = { name: u.account_name, number: u.account_number ? "••••" + String(u.account_number).slice(-4) : "" };
    row("Name", u.account_name);
    row("Period", u.period ? u.period.start + " to " + u.period.end : "");
    row("Transactions", u.transactions != null ? String(u.transactions) : "");
    if (u.closing_balance != null) row("Closing balance", "₦" + (u.closing_balance / 100).toLocaleString("en-NG", { minimumFractionDigits: 2 }));
    var again = el("button", { "class": "btn secondary", type: "button", id: "upload-again", text: "Upload a different file", onclick: function () { uploadForm(""); } });
    var go = el("button", { "class": "btn", type: "button", id: "upload-continue", text: "Confirm", onclick: function () {
      busy(go, true);
      api("POST", "statement/confirm", {}).then(step).catch(function (e) {
        busy(go, false);
        if (e.status === 410) return fatal(e.message, startUpload);
        go.before(errorBox(e.message));
      });
    } });
    render("UPLOAD_SUMMARY", [el("h1", { text: "Is this your statement?" }), p("This is what we read from your file. Confirm to share it with " +
      (state.app ? state.app.name : "the app") + ".", "muted"), dl, go, again]);
  }

  // reauthToken is the partner's re-auth token: reauth_token, or Mono's
  // connect.js 2.1+ data.account when it is not an account id.
  function reauthToken() {
    var a = cfg.data && cfg.data.account;
    return cfg.reauthToken || (a && !/^[0-9a-f]{24}$/.test(a) ? a : "");
  }

  // reauthEntry names the app, the bank and why before anything is asked
  // of the bank (starting the session logs in and may send an OTP).
  function reauthEntry() {
    state.reauth = true;
    if (!reauthToken() && !cfg.link) return reauthorise();
    render("LOADING", [p("Loading…", "muted")]);
    var h = cfg.link ? {} : { "x-reauth-token": reauthToken() };
    api("GET", "reauth", null, h).then(function (t) {
      state.inst = state.institutions.filter(function (i) { return i.id === t.institution.id; })[0] || t.institution;
      // an account that needs nothing: kobo's own answer says so
      if (!t.reauth_required) return reauthorise();
      var name = appName("The app"), bank = t.institution.name;
      render("REAUTH", [el("h1", { text: "Reconnect your " + bank + " account" }),
        el("div", { "class": "linked", id: "reauth-account" }, el("img", { src: t.institution.icon, alt: "", width: 40, height: 40 }),
          el("span", {}, document.createTextNode(bank), el("small", { text: (t.account.name ? t.account.name + " · " : "") + t.account.number }))),
        p(name + " can no longer refresh this account: " + bank + " asks you to confirm it is you from time to time. Until you do, " + name + " sees only the data it already has.", "muted"),
        p("Next, " + bank + " may ask for your password, PIN or a one-time code. Nothing is sent to " + bank + " before you continue.", "muted"),
        el("button", { "class": "btn", type: "button", id: "reauth-continue", text: "Continue", onclick: reauthorise })]);
    }).catch(function (e) { fatal(e.message, e.status === 403 ? null : reauthEntry); });
  }

  function reauthorise() {
    state.reauth = true;
    render("LOADING", [p("Reconnecting to " + ((state.inst && state.inst.name) || "your bank") + "…", "muted")]);
    var body = { scope: "reauth", reference: cfg.reference, reauth_token: cfg.reauthToken, account: (cfg.data && cfg.data.account) || "" };
    api("POST", "session", body).then(function (r) {
      state.session = r.session_id;
      if (r.responseCode === 102 && r.form && r.form.form && r.form.form.some(function (f) { return f.name === "password" || f.name === "username"; })) {
        state.inst = state.inst || { id: "", name: "your bank" };
        return loginForm(r.form, "");
      }
      return step(r);
    }).catch(function (e) {
      // 403: the partner has to supply a re-auth token; trying again cannot help
      fatal(e.message, e.status === 403 ? null : reauthorise);
    });
  }

  backBtn.addEventListener("click", function () { institutions(); });
  document.getElementById("close").addEventListener("click", requestClose);
  document.addEventListener("keydown", function (e) {
    if (e.key === "Tab") return trap(e);
    if (e.key !== "Escape") return;
    // Escape on the exit pane takes it back, as a dialog's Escape does
    var pane = document.getElementById("exit");
    if (pane) pane.stay(); else requestClose();
  });

  // back from the bank's page in a window the widget opened: the widget
  // that opened it carries on; this one only says so
  if (cfg.returned && params.get("kobo_popup") === "1") {
    render("RETURNED", [el("h1", { text: cfg.returnStatus === "approved" ? "Your bank confirmed access" : "Not connected" }),
      p(cfg.returnStatus === "approved" ? "You can close this window and return to the app." : (cfg.returnMessage || "Your bank did not confirm access."), "muted")]);
    try { window.close(); } catch (e) {}
    return;
  }
  if (!cfg.key && !cfg.link) { fatal("This widget was opened without a public key. Pass your app's public key to Connect as key."); return; }
  api("GET", "config").then(function (c) {
    state.app = c.app;
    state.institutions = c.institutions || [];
    document.getElementById("brand").textContent = appName("kobo connect");
    brandColor(c.app.brand_color);
    sandboxBanner();
    post("mono.connect.widget_opened", {});
    if (c.link) {
      cfg.reference = c.link.reference || "";
      cfg.scope = c.link.scope;
      if (c.link.institution) cfg.selected = { id: c.link.institution, auth_method: c.link.auth_method };
    }
    if (cfg.returned) {
      // back in this page from the bank's redirect: carry the session on
      state.session = cfg.returned;
      if (cfg.returnStatus !== "approved") return fatal(cfg.returnMessage || "Your bank did not confirm access.");
      render("LOADING", [p("Finishing…", "muted")]);
      return commitEmpty().catch(function (e) { fatal(e.message); });
    }
    if (cfg.scope === "reauth" || cfg.reauthToken || (cfg.data && cfg.data.account)) return reauthEntry();
    if (cfg.selected && cfg.selected.id) {
      var inst = state.institutions.filter(function (i) { return i.id === cfg.selected.id; })[0];
      if (inst) return pick(inst, cfg.selected.auth_method);
    }
    consent();
  }).catch(function (e) { fatal(e.message); });
})();
