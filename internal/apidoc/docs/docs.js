// kobo's /docs: renders /openapi.json with no third-party code. Every
// value from the document is written with textContent, never as HTML.
"use strict";
(function () {
  let spec;
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  };
  const text = (tag, cls, s) => el(tag, cls ? { class: cls } : null, String(s));
  const resolve = (o) => {
    let seen = 0;
    while (o && o.$ref && seen++ < 20) {
      const parts = o.$ref.replace(/^#\//, "").split("/");
      let v = spec;
      for (const p of parts) v = v && v[p.replace(/~1/g, "/").replace(/~0/g, "~")];
      o = Object.assign({}, v, Object.fromEntries(Object.entries(o).filter(([k]) => k !== "$ref")));
    }
    return o || {};
  };
  const refName = (o) => (o && o.$ref ? o.$ref.split("/").pop() : "");
  const typeOf = (s) => {
    if (s.const !== undefined) return JSON.stringify(s.const);
    if (s.enum) return s.enum.map((x) => JSON.stringify(x)).join(" | ");
    if (Array.isArray(s.type)) return s.type.join(" | ");
    if (s.type === "array") return "array of " + (typeOf(resolve(s.items || {})) || "any");
    return s.type || (s.anyOf || s.oneOf ? "one of" : s.allOf ? "all of" : "any");
  };

  function schemaTree(s, depth) {
    const name = refName(s);
    s = resolve(s);
    if (s.type === "array" && s.items && depth === 0) {
      const box = el("div", { class: "schema" }, text("span", "t", (name ? name + ": " : "") + typeOf(s)));
      if (s.description) box.append(" — ", text("span", "note", s.description));
      box.append(schemaTree(s.items, 1));
      return box;
    }
    const ul = el("ul");
    const parts = [].concat(s.allOf || []);
    const props = Object.assign({}, s.properties || {});
    const required = new Set(s.required || []);
    for (const p of parts) {
      const r = resolve(p);
      Object.assign(props, r.properties || {});
      (r.required || []).forEach((x) => required.add(x));
    }
    if (depth > 6) return text("span", "note", name || "…");
    for (const [k, v0] of Object.entries(props)) {
      const v = resolve(v0);
      const li = el("li", null, el("code", null, k), " ", text("span", "t", typeOf(v)));
      if (required.has(k)) li.append(" ", text("span", "req", "required"));
      if (v["x-kobo-extension"]) li.append(" ", text("span", "badge", "kobo extension"));
      if (v.description) li.append(" — ", text("span", "note", v.description));
      const inner = v.type === "array" ? resolve(v.items || {}) : v;
      if (inner.properties || inner.allOf || inner.anyOf || inner.oneOf) li.append(schemaTree(v.type === "array" ? v.items : v0, depth + 1));
      ul.append(li);
    }
    for (const alt of s.anyOf || s.oneOf || []) {
      const r = resolve(alt);
      const li = el("li", null, text("span", "t", "one of: " + (refName(alt) || typeOf(r))));
      if (r.description) li.append(" — ", text("span", "note", r.description));
      if (r.properties || r.allOf || r.anyOf) li.append(schemaTree(alt, depth + 1));
      ul.append(li);
    }
    if (depth > 0 && !ul.childNodes.length) return ul;
    const box = el("div", { class: "schema" });
    if (depth === 0) box.append(text("span", "t", (name ? name + ": " : "") + typeOf(s)));
    if (depth === 0 && s.description) box.append(" — ", text("span", "note", s.description));
    box.append(ul);
    return box;
  }

  function content(c) {
    const out = el("div");
    for (const [media, mt] of Object.entries(c || {})) {
      out.append(el("div", null, text("code", null, media)));
      if (mt.schema) out.append(schemaTree(mt.schema, 0));
      for (const [name, ex0] of Object.entries(mt.examples || {})) {
        const ex = resolve(ex0);
        const d = el("details", null, el("summary", null, "Example: " + name + (ex.description ? " — " + ex.description : "")));
        d.append(text("pre", null, JSON.stringify(ex.value, null, 2)));
        out.append(d);
      }
    }
    return out;
  }

  function operation(method, path, op, hook) {
    const id = (hook ? "hook-" : "") + method + "-" + path.replace(/[^a-zA-Z0-9]+/g, "-");
    const h = el("h4", null, text("span", "m " + (hook ? "hook" : method), hook ? "webhook" : method), path);
    if (op["x-kobo-extension"]) h.append(text("span", "badge", "kobo extension"));
    const mono = op["x-mono-docs"];
    if (typeof mono === "string" && mono.startsWith("https://docs.mono.co/")) h.append(el("a", { class: "badge mono", href: mono, rel: "noreferrer" }, "Mono docs"));
    const box = el("section", { class: "op", id }, h);
    if (op.summary) box.append(text("p", "summary", op.summary));
    if (op.description) box.append(text("p", "desc", op.description));
    const params = (op.parameters || []).map(resolve);
    if (params.length) {
      const t = el("table", null, el("tr", null, text("th", null, "parameter"), text("th", null, "in"), text("th", null, "type"), text("th", null, "")));
      for (const p of params) {
        t.append(el("tr", null, el("td", null, el("code", null, p.name), p.required ? text("span", "req", " required") : null),
          text("td", null, p.in), text("td", "t", typeOf(resolve(p.schema || {}))), text("td", "note", p.description || "")));
      }
      box.append(t);
    }
    const sec = op.security || spec.security || [];
    const schemes = sec.map((r) => Object.keys(r).join(" + ") || "none").join(" or ");
    if (!hook) box.append(el("p", { class: "note" }, "Auth: " + (schemes || "none")));
    if (op.requestBody) {
      const rb = resolve(op.requestBody);
      const d = el("details", { open: "" }, el("summary", null, hook ? "Body" : "Request body"));
      d.append(content(rb.content));
      box.append(d);
    }
    for (const [code, r0] of Object.entries(op.responses || {})) {
      const r = resolve(r0);
      const d = el("details", code.startsWith("2") ? { open: "" } : null, el("summary", null, code + " — " + (r.description || "")));
      d.append(content(r.content));
      box.append(d);
    }
    return [id, box];
  }

  function render() {
    const main = document.getElementById("main");
    const toc = document.getElementById("toc");
    main.replaceChildren(text("h1", null, spec.info.title), text("p", "desc", spec.info.description || ""));
    const byTag = new Map();
    const methods = ["get", "post", "put", "patch", "delete"];
    for (const [path, item] of Object.entries(spec.paths || {})) {
      for (const m of methods) {
        if (!item[m]) continue;
        const op = Object.assign({}, item[m], { parameters: [].concat(item.parameters || [], item[m].parameters || []) });
        const tag = (op.tags || ["Other"])[0];
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push([m, path, op, false]);
      }
    }
    for (const [name, item] of Object.entries(spec.webhooks || {})) {
      if (!byTag.has("Webhooks")) byTag.set("Webhooks", []);
      byTag.get("Webhooks").push(["post", name, item.post, true]);
    }
    const order = (spec.tags || []).map((t) => t.name);
    const tags = [...byTag.keys()].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
    toc.replaceChildren();
    for (const tag of tags) {
      toc.append(text("h3", null, tag));
      main.append(text("h2", null, tag));
      const t = (spec.tags || []).find((x) => x.name === tag);
      if (t && t.description) main.append(text("p", "note", t.description));
      for (const [m, path, op, hook] of byTag.get(tag)) {
        const [id, box] = operation(m, path, op, hook);
        main.append(box);
        toc.append(el("a", { href: "#" + id, "data-key": (m + " " + path + " " + (op.summary || "")).toLowerCase() }, (hook ? "hook " : m.toUpperCase() + " ") + path));
      }
    }
  }

  document.getElementById("filter").addEventListener("input", (e) => {
    const q = e.target.value.toLowerCase();
    for (const a of document.querySelectorAll("#toc a")) a.classList.toggle("hidden", q !== "" && !a.dataset.key.includes(q));
  });
  fetch("/openapi.json").then((r) => r.json()).then((j) => { spec = j; render(); if (location.hash) { const t = document.getElementById(location.hash.slice(1)); if (t) t.scrollIntoView(); } })
    .catch((err) => { document.getElementById("main").replaceChildren(text("p", null, "Could not load /openapi.json: " + err)); });
})();
