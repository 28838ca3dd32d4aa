// The topic map: points on a canvas, highlighted papers and topic labels in an SVG layer above it.
// Wheel or +/− to zoom, drag or arrow keys to pan; a click on a point opens its paper. No build step.
"use strict";
(() => {
  const frame = document.getElementById("map");
  if (!frame) return;
  const canvas = frame.querySelector("canvas");
  const overlay = frame.querySelector("svg");
  const tip = frame.querySelector(".map-tip");
  const status = document.querySelector(".map-status");
  const SVG = "http://www.w3.org/2000/svg";
  const topics = [...document.querySelectorAll("#topic-list a")].map((a) => ({
    id: Number(a.dataset.topic), x: Number(a.dataset.x), y: Number(a.dataset.y), label: a.textContent,
  }));
  const labelOf = new Map(topics.map((t) => [t.id, t.label]));
  let wide = [];  // the overview's points, [x, y, topic, id] in map units
  let detail = [];  // every point of a zoomed view
  let marks = { today: [], mine: [], found: [] };
  let view = { cx: 500, cy: 500, zoom: 1 };  // centre in map units; zoom 1 shows the whole map
  let detailTimer = null;

  const colour = (topic) => `hsl(${(topic * 137.508) % 360} 65% 48%)`;
  const size = () => ({ w: frame.clientWidth, h: frame.clientHeight });
  const scale = () => { const { w, h } = size(); return (Math.min(w, h) / 1000) * view.zoom; };
  const toScreen = (x, y) => {
    const { w, h } = size(); const s = scale();
    return [w / 2 + (x - view.cx) * s, h / 2 + (y - view.cy) * s];
  };
  const toMap = (sx, sy) => {
    const { w, h } = size(); const s = scale();
    return [view.cx + (sx - w / 2) / s, view.cy + (sy - h / 2) / s];
  };
  const unquantise = (rows, q) => rows.map((r) => [r[0] / q * 1000, r[1] / q * 1000, ...r.slice(2)]);

  function draw() {
    const { w, h } = size(); const ratio = window.devicePixelRatio || 1;
    canvas.width = w * ratio; canvas.height = h * ratio;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const radius = Math.min(5, 2 + view.zoom * 0.3);
    for (const p of points()) {
      const [sx, sy] = toScreen(p[0], p[1]);
      if (sx < -5 || sy < -5 || sx > w + 5 || sy > h + 5) continue;
      ctx.fillStyle = colour(p[2]);
      ctx.globalAlpha = 0.55;
      ctx.fillRect(sx - radius / 2, sy - radius / 2, radius, radius);
    }
    ctx.globalAlpha = 1;
    drawOverlay(w, h);
  }

  function points() { return view.zoom > 2 && detail.length ? detail : wide; }

  function drawOverlay(w, h) {
    overlay.replaceChildren();
    for (const kind of ["today", "mine", "found"]) {
      for (const m of marks[kind]) {
        const [sx, sy] = toScreen(m[0], m[1]);
        if (sx < 0 || sy < 0 || sx > w || sy > h) continue;
        const link = document.createElementNS(SVG, "a");
        link.setAttribute("href", `/papers/${m[3]}`);
        link.setAttribute("class", `mark-link ${kind}`);
        link.dataset.paper = m[3];
        const dot = document.createElementNS(SVG, "circle");
        dot.setAttribute("cx", sx); dot.setAttribute("cy", sy); dot.setAttribute("r", { today: 3, mine: 5, found: 6 }[kind]);
        dot.setAttribute("class", `hl ${kind}`);
        const title = document.createElementNS(SVG, "title");
        title.textContent = m[4];
        dot.append(title); link.append(dot); overlay.append(link);
      }
    }
    const placed = [];  // labels go over the marks; one that would overlap a drawn label is left out
    for (const t of topics) {
      const [cx, sy] = toScreen(t.x, t.y);
      if (cx < 0 || sy < 0 || cx > w || sy > h) continue;
      const half = t.label.length * 3.6;  // about half the label's width at 12 px
      const sx = Math.min(Math.max(cx, half + 4), w - half - 4);  // whole, not cut by the frame's edge
      if (placed.some(([x, y, h]) => Math.abs(x - sx) < half + h + 6 && Math.abs(y - sy) < 16)) continue;
      placed.push([sx, sy, half]);
      const text = document.createElementNS(SVG, "text");
      text.setAttribute("x", sx); text.setAttribute("y", sy); text.setAttribute("class", "topic-label");
      text.textContent = t.label;
      overlay.append(text);
    }
  }

  function nearest(sx, sy, within = 8) {
    let best = null; let bestD = within * within;
    for (const p of points()) {
      const [px, py] = toScreen(p[0], p[1]);
      const d = (px - sx) ** 2 + (py - sy) ** 2;
      if (d < bestD) { best = p; bestD = d; }
    }
    return best;
  }

  function zoomAt(factor, sx, sy) {
    const { w, h } = size();
    const [mx, my] = toMap(sx ?? w / 2, sy ?? h / 2);
    view.zoom = Math.min(200, Math.max(1, view.zoom * factor));
    const s = scale();
    view.cx = mx - ((sx ?? w / 2) - w / 2) / s; view.cy = my - ((sy ?? h / 2) - h / 2) / s;
    changed();
  }

  function pan(dx, dy) { const s = scale(); view.cx -= dx / s; view.cy -= dy / s; changed(); }

  function changed() {
    draw();
    clearTimeout(detailTimer);
    if (view.zoom > 2) detailTimer = setTimeout(loadDetail, 250);
  }

  async function loadDetail() {
    const { w, h } = size();
    const [x0, y0] = toMap(0, 0); const [x1, y1] = toMap(w, h);
    const box = [x0, y0, x1, y1].map((v) => v.toFixed(1)).join(",");
    const answer = await (await fetch(`/map/points.json?box=${box}`)).json();
    detail = unquantise(answer.points, answer.scale);
    draw();
  }

  async function loadMarks(query) {
    const answer = await (await fetch(`/map/highlights.json?q=${encodeURIComponent(query || "")}`)).json();
    for (const kind of ["today", "mine", "found"]) marks[kind] = unquantise(answer[kind], answer.scale);
    if (status) {
      status.textContent = query ? `${marks.found.length} papers match “${query}”` : "";
    }
    frame.dataset.found = String(marks.found.length);
    draw();
  }

  let drag = null;
  frame.addEventListener("pointerdown", (e) => { drag = { x: e.clientX, y: e.clientY, moved: false }; });
  frame.addEventListener("pointermove", (e) => {
    const rect = frame.getBoundingClientRect();
    if (drag) {
      const dx = e.clientX - drag.x; const dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; drag.x = e.clientX; drag.y = e.clientY; pan(dx, dy); }
      return;
    }
    const p = nearest(e.clientX - rect.left, e.clientY - rect.top);
    tip.hidden = !p;
    if (p) {
      tip.textContent = `${p[3]} · ${labelOf.get(p[2]) || ""}`;
      tip.style.left = `${e.clientX - rect.left + 12}px`; tip.style.top = `${e.clientY - rect.top + 12}px`;
    }
  });
  frame.addEventListener("pointerup", (e) => {
    const moved = drag && drag.moved; drag = null;
    if (moved || e.target.closest("a")) return;
    const rect = frame.getBoundingClientRect();
    const p = nearest(e.clientX - rect.left, e.clientY - rect.top);
    if (p) window.location.href = `/papers/${p[3]}`;
  });
  frame.addEventListener("wheel", (e) => {
    e.preventDefault();
    const rect = frame.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - rect.left, e.clientY - rect.top);
  }, { passive: false });
  frame.addEventListener("keydown", (e) => {
    const moves = { ArrowLeft: [60, 0], ArrowRight: [-60, 0], ArrowUp: [0, 60], ArrowDown: [0, -60] };
    if (moves[e.key]) { e.preventDefault(); pan(...moves[e.key]); } else if (e.key === "+" || e.key === "=") zoomAt(1.5);
    else if (e.key === "-") zoomAt(1 / 1.5);
  });
  document.querySelectorAll("[data-zoom]").forEach((button) => button.addEventListener("click", () => {
    const how = button.dataset.zoom;
    if (how === "reset") { view = { cx: 500, cy: 500, zoom: 1 }; changed(); } else zoomAt(how === "in" ? 1.5 : 1 / 1.5);
  }));
  window.addEventListener("resize", draw);

  // For tests and the curious: where a paper is drawn, in the window (screenOf) or in the map (frameOf).
  window.paperMap = {
    frameOf(id) {
      const p = wide.find((q) => q[3] === id);
      return p ? toScreen(p[0], p[1]) : null;
    },
    screenOf(id) {
      const p = points().find((q) => q[3] === id);
      if (!p) return null;
      const rect = frame.getBoundingClientRect(); const [sx, sy] = toScreen(p[0], p[1]);
      return [rect.left + sx, rect.top + sy];
    },
    count: () => points().length,
    ids: () => points().map((p) => p[3]),
  };

  (async () => {
    const answer = await (await fetch("/map/points.json")).json();
    wide = unquantise(answer.points, answer.scale);
    frame.dataset.points = String(wide.length);
    draw();
    await loadMarks(frame.dataset.query);
    frame.dataset.ready = "true";
  })();
})();
