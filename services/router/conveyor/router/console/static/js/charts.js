// Charts drawn as inline SVG: stacked and grouped columns, horizontal bars, a funnel.
// Colours come from the stylesheet (classes c0..c7), numbers from the caller's formatter.

import { h, s } from "./dom.js";

const WIDTH = 720;
const PALETTE = 8;

/** A scale for values up to peak: a "round" step (1, 2 or 5 times a power of ten) and
 * the top of the axis, a whole number of steps (at most about four) at or above peak. */
export function scale(peak, { whole = false } = {}) {
  const value = peak > 0 ? peak / 4 : 0.25;
  const power = 10 ** Math.floor(Math.log10(value));
  const round = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= value);
  const step = whole ? Math.max(1, round) : round;
  return { step, max: step * Math.max(1, Math.ceil(peak / step)) };
}

function figure(title, svg, legend = null) {
  return h("figure", { class: "chart" }, h("figcaption", {}, title), svg, legend);
}

function legendOf(names) {
  return h("ul", { class: "legend" }, names.map((name, i) =>
    h("li", {}, h("span", { class: `swatch c${i % PALETTE}` }), name)));
}

function frame(height, label) {
  return s("svg", { viewBox: `0 0 ${WIDTH} ${height}`, role: "img", "aria-label": label, class: "plot" });
}

function yAxis(svg, { top, bottom, left, step, max, format }) {
  for (let tick = 0; tick <= max + step / 2; tick += step) {
    const y = bottom - ((bottom - top) * tick) / max;
    svg.append(
      s("line", { x1: left, x2: WIDTH - 8, y1: y, y2: y, class: "grid" }),
      s("text", { x: left - 6, y: y + 4, class: "tick", "text-anchor": "end" }, format(tick)),
    );
  }
}

/** Columns per category, each split into the series' values stacked on one another
 * (`whole`: the values are counts, so the axis steps by whole numbers). */
export function stackedColumns({ title, categories, series, format = String, whole = false }) {
  return columns({ title, categories, series, format, whole, stacked: true });
}

/** Columns per category, the series' values side by side. */
export function groupedColumns({ title, categories, series, format = String, whole = false }) {
  return columns({ title, categories, series, format, whole, stacked: false });
}

function columns({ title, categories, series, format, whole, stacked }) {
  const box = { top: 12, bottom: 230, left: 64 };
  const value = (si, ci) => Number(series[si].values[ci] ?? 0);
  const heights = categories.map((_, ci) => series.map((__, si) => value(si, ci)));
  const peak = Math.max(0, ...heights.map((v) => (stacked ? v.reduce((a, b) => a + b, 0) : Math.max(...v))));
  const { step, max } = scale(peak, { whole });
  const svg = frame(270, title);
  yAxis(svg, { ...box, step, max, format });
  const slot = (WIDTH - 8 - box.left) / Math.max(categories.length, 1);
  const every = Math.ceil(categories.length / 12);
  categories.forEach((category, ci) => {
    const group = Math.min(slot * 0.7, stacked ? 60 : 40 * series.length);
    const x0 = box.left + slot * ci + (slot - group) / 2;
    const bars = series.map((line, si) => ({ name: line.name, value: value(si, ci) }));
    svg.append(...column({ bars, x0, group, box, max, stacked, label: category, format }));
    if (ci % every === 0) {
      svg.append(s("text", { x: x0 + group / 2, y: box.bottom + 16, class: "tick", "text-anchor": "middle" }, category));
    }
  });
  return figure(title, svg, legendOf(series.map((line) => line.name)));
}

/** The bars of one category: stacked from the axis up, or side by side. */
function column({ bars, x0, group, box, max, stacked, label, format }) {
  const width = group / (stacked ? 1 : bars.length);
  let base = box.bottom;
  return bars.map((bar, i) => {
    const height = ((box.bottom - box.top) * bar.value) / max;
    const y = stacked ? base - height : box.bottom - height;
    if (stacked) base -= height;
    return s("rect", { x: stacked ? x0 : x0 + width * i, y, width: Math.max(width - 1, 1), height, class: `bar c${i % PALETTE}` },
      s("title", {}, `${bar.name} · ${label}: ${format(bar.value)}`));
  });
}

/** One horizontal bar per item ({label, value, note?}), longest scale at the largest value. */
export function bars({ title, items, format = String, max = null }) {
  const row = 26;
  const left = 170;
  const svg = frame(items.length * row + 8, title);
  const top = max ?? scale(Math.max(0, ...items.map((item) => Number(item.value ?? 0)))).max;
  items.forEach((item, i) => {
    const y = 4 + i * row;
    const width = ((WIDTH - left - 90) * Number(item.value ?? 0)) / top;
    svg.append(
      s("text", { x: left - 8, y: y + 16, class: "label", "text-anchor": "end" }, item.label),
      s("rect", { x: left, y: y + 3, width: Math.max(width, 0), height: row - 8, class: `bar c${(item.colour ?? 0) % PALETTE}` },
        s("title", {}, `${item.label}: ${format(item.value)}${item.note ? ` (${item.note})` : ""}`)),
      s("text", { x: left + width + 6, y: y + 16, class: "value" }, format(item.value)),
    );
  });
  return figure(title, svg);
}

/** A small inline chart of values in order (weeks of a month), each bar titled. */
export function spark({ labels, values, format = String }) {
  const numbers = values.map((v) => Number(v ?? 0));
  const top = Math.max(...numbers, 0) || 1;
  const width = 14;
  const svg = s("svg", { viewBox: `0 0 ${numbers.length * width} 30`, class: "spark", role: "img", "aria-label": "per week" });
  numbers.forEach((value, i) => {
    const height = Math.max((28 * value) / top, value > 0 ? 2 : 1);
    svg.append(s("rect", { x: i * width + 2, y: 29 - height, width: width - 4, height, class: `bar c${value > 0 ? 0 : 7}` },
      s("title", {}, `${labels[i]}: ${format(value)}`)));
  });
  return svg;
}

/** Stages of a flow as centred bars narrowing with the count, each with its share of the
 * stage before. */
export function funnel({ title, stages, format = String }) {
  const row = 34;
  const svg = frame(stages.length * row + 8, title);
  const max = Math.max(1, ...stages.map((stage) => Number(stage.value ?? 0)));
  const centre = 330;
  stages.forEach((stage, i) => {
    const value = Number(stage.value ?? 0);
    const width = Math.max((420 * value) / max, 2);
    const y = 4 + i * row;
    const previous = i > 0 ? Number(stages[i - 1].value ?? 0) : null;
    const share = previous ? `${Math.round((100 * value) / previous)} % of ${stages[i - 1].label}` : "";
    svg.append(
      s("rect", { x: centre - width / 2, y, width, height: row - 6, rx: 3, class: `bar c${i % PALETTE}` },
        s("title", {}, `${stage.label}: ${format(value)}`)),
      s("text", { x: 110, y: y + 19, class: "label", "text-anchor": "end" }, stage.label),
      s("text", { x: centre, y: y + 19, class: "value inside", "text-anchor": "middle" }, format(value)),
      s("text", { x: 560, y: y + 19, class: "tick" }, share),
    );
  });
  return figure(title, svg);
}
