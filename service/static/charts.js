// Small SVG charts for the office's dashboard, drawn from the JSON of GET /v1/stats (no library).
// The pages' CSP forbids inline styles, so the colours come from classes in style.css (.s0, .s1).
// Every mark carries its numbers (data-label, data-value) and a <title>; each chart has a text label.
(() => {
  "use strict";

  const NS = "http://www.w3.org/2000/svg";
  const WIDTH = 640;

  /** An SVG element with attributes and children (strings become text nodes). */
  function s(tag, attrs = {}, ...children) {
    const el = document.createElementNS(NS, tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value !== null && value !== undefined) el.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  /** A round upper end for an axis of counts (whole numbers), and its ticks. */
  function niceScale(max) {
    if (!(max > 0)) return { top: 1, ticks: [0, 1] };
    const rough = Math.max(1, max / 4);
    const power = 10 ** Math.floor(Math.log10(rough));
    const step = [1, 2, 5, 10].map((f) => f * power).find((x) => x >= rough);
    const top = Math.ceil(max / step) * step;
    const ticks = [];
    for (let v = 0; v <= top + step / 2; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
    return { top, ticks };
  }

  const SHARE_SCALE = { top: 1, ticks: [0, 0.25, 0.5, 0.75, 1] };

  function frame(name, label, height) {
    return s("svg", {
      class: "chart", "data-chart": name, role: "img", "aria-label": label,
      viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height, preserveAspectRatio: "xMinYMin meet",
    });
  }

  function yAxis(root, scale, box, format) {
    for (const tick of scale.ticks) {
      const y = box.bottom - (tick / scale.top) * (box.bottom - box.top);
      root.append(
        s("line", { class: "grid", x1: box.left, x2: box.right, y1: y, y2: y }),
        s("text", { class: "tick", x: box.left - 6, y: y + 4, "text-anchor": "end" }, format(tick)));
    }
    root.append(s("line", { class: "axis", x1: box.left, x2: box.left, y1: box.top, y2: box.bottom }),
      s("line", { class: "axis", x1: box.left, x2: box.right, y1: box.bottom, y2: box.bottom }));
  }

  /** Show every k-th label so that they do not overlap. */
  function labelEvery(n, room, width = 56) {
    return Math.max(1, Math.ceil((n * width) / room));
  }

  /**
   * Vertical bars: a group per label, a bar per series, or one stacked bar per label.
   * series: [{ name, values: [number|null] }]; format: a value as text (ticks and titles).
   */
  function columns({ name, label, labels, series, stacked = false, share = false, format = String }) {
    const height = 260;
    const box = { left: 52, right: WIDTH - 12, top: 14, bottom: height - 42 };
    const max = stacked
      ? Math.max(0, ...labels.map((_, i) => series.reduce((sum, x) => sum + (x.values[i] || 0), 0)))
      : Math.max(0, ...series.flatMap((x) => x.values.map((v) => v || 0)));
    const scale = share ? SHARE_SCALE : niceScale(max);
    const root = frame(name, label, height);
    yAxis(root, scale, box, share ? (v) => `${Math.round(v * 100)}%` : String);
    const slot = (box.right - box.left) / Math.max(1, labels.length);
    const every = labelEvery(labels.length, box.right - box.left);
    const barWidth = stacked ? slot * 0.7 : (slot * 0.8) / series.length;
    const y = (v) => box.bottom - (v / scale.top) * (box.bottom - box.top);
    labels.forEach((text, i) => {
      const x0 = box.left + slot * i + slot * (stacked ? 0.15 : 0.1);
      let base = 0;
      series.forEach((serie, k) => {
        const value = serie.values[i];
        if (value === null || value === undefined) return;
        const x = stacked ? x0 : x0 + k * barWidth;
        const from = stacked ? base : 0;
        const top = y(from + value);
        root.append(s("rect", {
          class: `mark s${k}`, x, y: top, width: Math.max(1, barWidth - 2), height: Math.max(0, y(from) - top),
          "data-label": text, "data-series": serie.name, "data-value": value,
        }, s("title", {}, `${text} · ${serie.name}: ${format(value)}`)));
        if (!stacked && barWidth >= 24) {  // the value over its bar (a zero shows too)
          root.append(s("text", { class: "value", x: x + (barWidth - 2) / 2, y: top - 4, "text-anchor": "middle" }, format(value)));
        }
        if (stacked) base += value;
      });
      if (i % every === 0) {
        root.append(s("text", { class: "label", x: box.left + slot * (i + 0.5), y: box.bottom + 16, "text-anchor": "middle" }, text));
      }
    });
    return root;
  }

  /** Horizontal bars: a row per label (long names fit), a bar per series. */
  function rows({ name, label, labels, series, format = String }) {
    const barHeight = 12;
    const rowHeight = series.length * barHeight + 12;
    const height = labels.length * rowHeight + 36;
    const box = { left: 236, right: WIDTH - 40, top: 8, bottom: height - 26 };
    const scale = niceScale(Math.max(0, ...series.flatMap((x) => x.values)));
    const root = frame(name, label, height);
    for (const tick of scale.ticks) {
      const x = box.left + (tick / scale.top) * (box.right - box.left);
      root.append(s("line", { class: "grid", x1: x, x2: x, y1: box.top, y2: box.bottom }),
        s("text", { class: "tick", x, y: box.bottom + 16, "text-anchor": "middle" }, String(tick)));
    }
    root.append(s("line", { class: "axis", x1: box.left, x2: box.left, y1: box.top, y2: box.bottom }));
    labels.forEach((text, i) => {
      const top = box.top + i * rowHeight + 6;
      root.append(s("text", { class: "label", x: box.left - 8, y: top + (series.length * barHeight) / 2 + 4, "text-anchor": "end" },
        text.length > 32 ? `${text.slice(0, 31)}…` : text, s("title", {}, text)));
      series.forEach((serie, k) => {
        const value = serie.values[i];
        const width = (value / scale.top) * (box.right - box.left);
        const y = top + k * barHeight;
        root.append(s("rect", {
          class: `mark s${k}`, x: box.left, y, width: Math.max(value ? 1 : 0, width), height: barHeight - 2,
          "data-label": text, "data-series": serie.name, "data-value": value,
        }, s("title", {}, `${text} · ${serie.name}: ${format(value)}`)));
        if (value) root.append(s("text", { class: "value", x: box.left + width + 4, y: y + barHeight - 3 }, format(value)));
      });
    });
    return root;
  }

  /** A line of shares (0 to 1) with a point per label; null leaves a gap (a week without inquiries). */
  function line({ name, label, labels, values, serie, format }) {
    const height = 220;
    const box = { left: 52, right: WIDTH - 12, top: 14, bottom: height - 42 };
    const root = frame(name, label, height);
    yAxis(root, SHARE_SCALE, box, (v) => `${Math.round(v * 100)}%`);
    const slot = (box.right - box.left) / Math.max(1, labels.length);
    const every = labelEvery(labels.length, box.right - box.left);
    const at = (i, v) => [box.left + slot * (i + 0.5), box.bottom - v * (box.bottom - box.top)];
    let path = "";
    let pen = false;
    values.forEach((v, i) => {
      if (v === null || v === undefined) { pen = false; return; }
      const [x, y] = at(i, v);
      path += `${pen ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)} `;
      pen = true;
    });
    if (path) root.append(s("path", { class: "line s1", d: path.trim() }));
    labels.forEach((text, i) => {
      const v = values[i];
      if (v !== null && v !== undefined) {
        const [x, y] = at(i, v);
        root.append(s("circle", { class: "mark point s1", cx: x, cy: y, r: 4, "data-label": text, "data-series": serie, "data-value": v },
          s("title", {}, `${text}: ${format(v)}`)));
      }
      if (i % every === 0) {
        root.append(s("text", { class: "label", x: box.left + slot * (i + 0.5), y: box.bottom + 16, "text-anchor": "middle" }, text));
      }
    });
    return root;
  }

  /** The colours' key, as HTML under a chart. */
  function legend(names) {
    const ul = document.createElement("ul");
    ul.className = "legend";
    names.forEach((text, k) => {
      const li = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = `swatch s${k}`;
      swatch.setAttribute("aria-hidden", "true");
      li.append(swatch, text);
      ul.append(li);
    });
    return ul;
  }

  /** The chart's numbers as a table. */
  function table(headers, body) {
    const el = document.createElement("table");
    el.className = "numbers";
    const head = el.createTHead().insertRow();
    for (const text of headers) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      head.append(th);
    }
    const tbody = el.createTBody();
    for (const cells of body) {
      const tr = tbody.insertRow();
      cells.forEach((text, i) => {
        const cell = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) cell.scope = "row";
        cell.textContent = text;
        tr.append(cell);
      });
    }
    return el;
  }

  window.Charts = { columns, rows, line, legend, table };
})();
