// Plans: each rep's monthly plan against what they did, week by week, the weekly
// reconciliation, and entering a plan.

import { get, put } from "../api.js";
import { bars, spark } from "../charts.js";
import { failure, fmt, h, notice, panel, section, table } from "../dom.js";

/** The view: plan vs actual for a month, a week's reconciliation, and (for those who set
 * plans: managers and the administrator) the plan form. */
export function render(_args, me) {
  const month = new Date().toISOString().slice(0, 7);
  const monthly = h("div", { class: "slot" });
  const weekly = h("div", { class: "slot" });
  const showMonth = (m, expected = null) => monthly.replaceChildren(section(() => planVsActual(m, expected)));
  const showWeek = (w) => weekly.replaceChildren(section(() => reconciliation(w)));
  showMonth(month);
  showWeek(isoWeek(new Date()));
  return h("div", { class: "stack" },
    panel("Plan vs actual", picker("month", month, showMonth), monthly),
    panel("Weekly reconciliation", picker("week", isoWeek(new Date()), showWeek), weekly),
    me.role === "hunter" || me.role === "farmer" ? null : panel("Set a plan", planForm((plan) => showMonth(plan.month, plan))),
  );
}

function picker(type, value, onChange) {
  const input = h("input", { type: type === "month" ? "month" : "text", name: type, value, pattern: type === "week" ? "\\d{4}-W\\d{2}" : null });
  return h("form", { class: "filters", onsubmit: (event) => { event.preventDefault(); onChange(input.value); } },
    h("label", {}, type, input), h("button", { type: "submit" }, "Show"));
}

/** Plans are folded from events after they are saved: when a plan was just saved, ask
 * again (every second, for up to a minute) until the figures include it. */
async function planVsActual(month, expected) {
  const includes = (rows) => !expected || rows.some((r) => r.rep_id === expected.rep_id && r.metric === expected.metric
    && Number(r.target) === Number(expected.target));
  let { rows } = await get("/v1/plans", { query: { month } });
  for (let tries = 0; !includes(rows) && tries < 60; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    ({ rows } = await get("/v1/plans", { query: { month } }));
  }
  if (!rows.length) return notice("empty", `No plan for ${month}.`);
  return h("div", { class: "beside" },
    bars({ title: "Attainment (actual / target; the scale ends at 100 % or the best)", format: fmt.percent,
      max: Math.max(1, ...rows.map((r) => Number(r.attainment ?? 0))),
      items: rows.map((r) => ({ label: `${r.rep_id} · ${r.metric}`, value: r.attainment, colour: r.attainment >= 1 ? 2 : 4 })) }),
    table([
      { label: "Rep", key: "rep_id" }, { label: "Metric", key: "metric" },
      { label: "Target", render: (r) => `${fmt.money(r.target)} ${r.currency ?? ""}`.trim() },
      { label: "Actual", key: "actual", format: fmt.money },
      { label: "Attainment", key: "attainment", format: fmt.percent },
      { label: "Week by week", render: (r) => spark({ labels: (r.weeks ?? []).map((w) => w.week), values: (r.weeks ?? []).map((w) => w.actual), format: fmt.money }) },
    ], rows));
}

async function reconciliation(week) {
  const { rows } = await get("/v1/plans/reconciliation", { query: { week } });
  return table([
    { label: "Rep", key: "rep_id" }, { label: "Metric", key: "metric" },
    { label: "Week's target", key: "week_target", format: fmt.money }, { label: "Actual", key: "actual", format: fmt.money },
    { label: "Gap", key: "gap", format: fmt.money },
  ], rows, { empty: `No plan covers ${week}.` });
}

function planForm(done) {
  const status = h("div", { class: "slot" });
  const form = h("form", { class: "filters", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      const plan = await put("/v1/plans/{rep_id}/{month}", { params: { rep_id: data.get("rep_id"), month: data.get("month") },
        body: { metric: data.get("metric"), target: Number(data.get("target")), ...currency(data) } });
      status.replaceChildren(notice("info", "Plan saved."));
      done(plan);
    } catch (error) {
      status.replaceChildren(failure(error));
    }
  } },
  h("label", {}, "Rep", h("input", { name: "rep_id", required: true })),
  h("label", {}, "Month", h("input", { name: "month", type: "month", required: true, value: new Date().toISOString().slice(0, 7) })),
  h("label", {}, "Metric", h("select", { name: "metric" }, ["deals", "revenue", "activity"].map((m) => h("option", { value: m }, m)))),
  h("label", {}, "Target", h("input", { name: "target", type: "number", min: 0, step: "any", required: true })),
  h("label", {}, "Currency (revenue)", h("input", { name: "currency", placeholder: "EUR", pattern: "[A-Z]{3}", size: 4 })),
  h("button", { type: "submit" }, "Save plan"));
  return [form, status];
}

function currency(data) {
  return data.get("metric") === "revenue" && data.get("currency") ? { currency: data.get("currency") } : {};
}

/** The ISO week of a date, as "YYYY-Www". */
export function isoWeek(date) {
  const day = new Date(Date.UTC(date.getFullYear(), date.getMonth(), date.getDate()));
  day.setUTCDate(day.getUTCDate() + 4 - (day.getUTCDay() || 7));
  const start = new Date(Date.UTC(day.getUTCFullYear(), 0, 1));
  const week = Math.ceil(((day - start) / 86400000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}
