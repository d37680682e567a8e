// Building the page: elements, tables, panels, notices and number formats.

import { ApiError, Unavailable } from "./api.js";

/** An HTML element: h("a", {href: "#/x", class: "link", onclick: f}, "text", child). */
export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, built like h(). */
export function s(tag, attrs = {}, ...children) {
  return build(document.createElementNS("http://www.w3.org/2000/svg", tag), attrs, children);
}

function build(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** A titled panel of the page. */
export function panel(title, ...children) {
  return h("section", { class: "panel" }, h("h2", {}, title), ...children);
}

/** A one-line message: kind is "info", "empty", "unavailable" or "error". */
export function notice(kind, text) {
  return h("p", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : null }, text);
}

/** What the reader is told when a call failed: not served yet, refused, or the problem. */
export function failure(error) {
  if (error instanceof Unavailable) {
    return notice("unavailable", `Not available: this router does not serve ${error.message} yet.`);
  }
  if (error instanceof ApiError && error.status === 403) {
    return notice("error", "Your credential may not read this.");
  }
  if (error instanceof ApiError) return notice("error", error.message);
  return notice("error", `Something went wrong: ${error.message}`);
}

/** A placeholder filled by load() when it resolves, or by the failure if it throws. */
export function section(load) {
  const slot = h("div", { class: "slot" }, notice("info", "Loading…"));
  Promise.resolve()
    .then(load)
    .then((content) => slot.replaceChildren(...nodes(content)))
    .catch((error) => slot.replaceChildren(failure(error)));
  return slot;
}

/** Content as a list of nodes: arrays flattened, null, undefined and false left out. */
export function nodes(content) {
  return [content].flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false);
}

/** A table: columns are {key, label, format?, render?(row)}; rows are objects. */
export function table(columns, rows, { empty = "Nothing here." } = {}) {
  if (!rows.length) return notice("empty", empty);
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)));
  const body = rows.map((row) =>
    h("tr", {}, columns.map((c) => h("td", { class: c.numeric ? "num" : null }, cell(c, row)))),
  );
  return h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, head), h("tbody", {}, body)));
}

function cell(column, row) {
  if (column.render) return column.render(row);
  const value = row[column.key];
  return column.format ? column.format(value) : value ?? "—";
}

/** A link to a lead's story. */
export function leadLink(leadId) {
  return h("a", { href: `#/story/${encodeURIComponent(leadId)}`, class: "lead-link" }, leadId);
}

/** Key figures as labelled tiles: [[label, value], ...]. */
export function tiles(items) {
  return h("dl", { class: "tiles" }, items.map(([label, value]) =>
    h("div", { class: "tile" }, h("dt", {}, label), h("dd", {}, value ?? "—"))));
}

export const fmt = {
  number: (v) => (v === null || v === undefined ? "—" : Number(v).toLocaleString("en")),
  percent: (v) => (v === null || v === undefined ? "—" : `${(Number(v) * 100).toFixed(1)} %`),
  money: (v) => (v === null || v === undefined ? "—" : Number(v).toLocaleString("en", { maximumFractionDigits: 2 })),
  time: (v) => (v ? new Date(v).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" }) : "—"),
  duration,
  volume,
};

/** Won volume in each currency ({"EUR": "1200.00"}), or the single volume and currency. */
function volume(deals) {
  const each = Object.entries(deals.volumes ?? {});
  if (each.length) return each.map(([currency, amount]) => `${fmt.money(amount)} ${currency}`).join(" + ");
  return `${fmt.money(deals.volume)} ${deals.currency ?? ""}`.trim();
}

/** Seconds as a short duration: "45 s", "12 min", "3.5 h", "2.1 d". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const value = Number(seconds);
  if (value < 90) return `${Math.round(value)} s`;
  if (value < 90 * 60) return `${Math.round(value / 60)} min`;
  if (value < 36 * 3600) return `${(value / 3600).toFixed(1)} h`;
  return `${(value / 86400).toFixed(1)} d`;
}

/** An ISO date (YYYY-MM-DD) `days` from today in UTC, the calendar of the KPI API. */
export function isoDay(days = 0) {
  const day = new Date();
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}
