// adjutant dashboard: fills the pages from /api/v1 and keeps them current without reloads.
"use strict";
(function () {
  const page = document.body.dataset.page;
  const REFRESH_MS = 2000;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : String(c ?? ""));
    return node;
  }
  async function getJSON(url) {
    const reply = await fetch(url, { credentials: "same-origin" });
    if (!reply.ok) throw new Error(url + ": HTTP " + reply.status);
    return reply.json();
  }
  function when(ts) { return ts ? new Date(ts * 1000).toLocaleString() : ""; }
  function secs(s) {
    if (s == null) return "";
    if (s < 60) return s.toFixed(1) + " s";
    const m = Math.floor(s / 60);
    return m + " min " + Math.round(s - m * 60) + " s";
  }
  function stateBadge(state) { return el("span", { class: "state " + state }, state); }
  function taskRow(t) {
    return el("tr", {},
      el("td", {}, el("a", { href: "/tasks/" + t.id }, t.id)), el("td", {}, t.method),
      el("td", {}, t.arch || ""), el("td", {}, t.tag || ""), el("td", {}, stateBadge(t.state)),
      el("td", {}, secs(t.duration_s)));
  }
  function fill(id, rows) { document.getElementById(id).replaceChildren(...rows); }

  async function overview() {
    const [status, running, recent] = await Promise.all([
      getJSON("/api/v1/status"), getJSON("/api/v1/tasks?state=OPEN&limit=100"),
      getJSON("/api/v1/tasks?limit=30")]);
    const cap = status.capacity;
    const card = (label, value) => el("div", { class: "card" }, el("b", {}, value), label);
    fill("status", [
      card("running / maxjobs", status.tasks.running + " / " + cap.maxjobs),
      card("load", cap.load == null ? "?" : cap.load.toFixed(2)),
      card("free disk (MB)", cap.free_mb + " (min " + cap.minspace_mb + ")"),
      card("hub session", status.hub.session_alive ? "alive" : "down"),
      card("podman " + (status.podman.version || ""), status.podman.answers ? "answers" : "down"),
      card("uptime", secs(status.uptime_s)),
    ]);
    fill("running", running.tasks.map(taskRow));
    fill("recent", recent.tasks.map(taskRow));
  }

  // -- task page: facts, SVG step timeline, live log ------------------------------------------
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text != null) node.textContent = text;
    return node;
  }
  function drawTimeline(task) {
    const box = document.getElementById("timeline");
    const steps = task.steps;
    if (!steps.length) { box.textContent = "No steps recorded yet."; return; }
    const start = task.started_at;
    const now = Date.now() / 1000;
    const end = Math.max(task.ended_at || now, ...steps.map(s => s.ended_at || now));
    const span = Math.max(end - start, 0.001);
    const labelW = 150, width = 800, rowH = 20, top = 18;
    const scale = (width - labelW - 70) / span;
    const root = svg("svg", { viewBox: `0 0 ${width} ${top + steps.length * rowH + 6}`,
                              role: "img", "aria-label": "step timeline" });
    root.append(svg("text", { x: labelW, y: 12 }, "0 s"));
    root.append(svg("text", { x: width - 70, y: 12, "text-anchor": "end" }, secs(span)));
    steps.forEach((s, i) => {
      const y = top + i * rowH;
      const x = labelW + (s.started_at - start) * scale;
      const w = Math.max(((s.ended_at || now) - s.started_at) * scale, 1.5);
      const cls = s.ended_at == null ? "bar running" : (s.exit_code === 0 ? "bar" : "bar failed");
      root.append(svg("text", { x: 2, y: y + 13 }, s.name));
      const bar = svg("rect", { class: cls, x, y: y + 3, width: w, height: rowH - 6, rx: 2 });
      bar.append(svg("title", {}, `${s.name}: ${secs(s.duration_s)}` +
                 (s.exit_code != null ? `, exit ${s.exit_code}` : "") + (s.error ? ` (${s.error})` : "")));
      root.append(bar);
      root.append(svg("text", { x: x + w + 4, y: y + 13 }, secs(s.duration_s)));
    });
    box.replaceChildren(root);
  }
  function fact(dt, dd) { return [el("dt", {}, dt), el("dd", {}, dd ?? "")]; }

  let stream = null, streamName = null;
  function followLog(taskId, name) {
    if (stream) stream.close();
    streamName = name;
    const out = document.getElementById("log");
    out.textContent = "";
    stream = new EventSource(`/api/v1/tasks/${taskId}/logs/${encodeURIComponent(name)}/stream`);
    stream.onmessage = (ev) => {
      const atBottom = out.scrollTop + out.clientHeight >= out.scrollHeight - 20;
      out.append(ev.data + "\n");
      if (atBottom) out.scrollTop = out.scrollHeight;
    };
    stream.addEventListener("end", () => { stream.close(); stream = null; });
  }

  async function taskPage() {
    const id = document.body.dataset.taskId;
    const task = await getJSON("/api/v1/tasks/" + id);
    const badge = document.getElementById("task-state");
    badge.textContent = task.state;
    badge.className = "state " + task.state;
    fill("task-facts", [
      ...fact("Method", task.method), ...fact("Arch", task.arch), ...fact("Tag", task.tag),
      ...fact("Started", when(task.started_at)), ...fact("Duration", secs(task.duration_s)),
      ...fact("Image", task.image), ...fact("Digest", task.image_digest),
      ...fact("Why this image", task.image_reason), ...fact("Buildroot", task.buildroot_id),
      ...(task.fault ? fact("Fault", task.fault) : []),
    ]);
    drawTimeline(task);
    fill("task-containers", task.containers.map(c => el("tr", {},
      el("td", {}, el("a", { href: "/api/v1/containers/" + c.id }, c.name || c.id.slice(0, 12))),
      el("td", {}, c.role), el("td", {}, c.image), el("td", {}, when(c.created_at)),
      el("td", {}, when(c.removed_at)))));
    const select = document.getElementById("log-name");
    if (select.options.length !== task.logs.length) {
      const chosen = select.value;
      select.replaceChildren(...task.logs.map(n => el("option", { value: n }, n)));
      const preferred = task.logs.includes("build.log") ? "build.log" : task.logs[0];
      select.value = chosen && task.logs.includes(chosen) ? chosen : preferred;
    }
    if (select.value && streamName == null) followLog(id, select.value);
    select.onchange = () => followLog(id, select.value);
    return task.state !== "OPEN";
  }

  async function containersPage() {
    const reply = await getJSON("/api/v1/containers");
    fill("containers", reply.containers.map(c => el("tr", {},
      el("td", {}, c.name || c.id.slice(0, 12)),
      el("td", {}, c.task_id ? el("a", { href: "/tasks/" + c.task_id }, c.task_id) : ""),
      el("td", {}, c.role), el("td", {}, c.image), el("td", {}, (c.image_digest || "").slice(0, 19)),
      el("td", {}, when(c.created_at)), el("td", {}, when(c.removed_at)))));
  }

  const pages = { overview, task: taskPage, containers: containersPage };
  async function refresh() {
    let done = false;
    try { done = await pages[page](); } catch (err) { console.error(err); }
    if (!done) setTimeout(refresh, REFRESH_MS);
  }
  refresh();
})();
