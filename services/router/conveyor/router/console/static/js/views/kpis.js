// KPIs for a period: leads by source, speed to lead, verdicts, conversion, deals, reps,
// farmers, fairness and accounts; charts where a picture helps, tables beside them.

import { get } from "../api.js";
import { bars, groupedColumns, stackedColumns } from "../charts.js";
import { fmt, h, isoDay, notice, panel, section, table, tiles } from "../dom.js";
import { chartAndTable, csvButton, rowsTable } from "./kpi_panels.js";

const FILTERS = ["from", "to", "team", "rep", "source", "product_line"];
let filters = { from: isoDay(-29), to: isoDay(1) };

/** The view: a filter form and the KPI panels for the filters chosen. */
export function render() {
  const body = h("div", { class: "stack" });
  const draw = () => body.replaceChildren(...panels({ ...filters }));
  draw();
  return [filterForm(draw), body];
}

function filterForm(draw) {
  const inputs = FILTERS.map((name) => h("label", {}, name.replace("_", " "),
    h("input", { name, type: name === "from" || name === "to" ? "date" : "text", value: filters[name] ?? "" })));
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    filters = Object.fromEntries(new FormData(form).entries());
    draw();
  } }, inputs, h("button", { type: "submit" }, "Apply"));
  return form;
}

function panels(query) {
  return [
    sourcesPanel(query), speedAndDealsPanel(query), verdictsPanel(query),
    conversionPanel(query), repsPanel(query), lossPanel(query), ...tablePanels(query),
  ];
}

function sourcesPanel(query) {
  return panel("Leads by source per day",
    h("div", { class: "actions" }, csvButton("/v1/kpis/sources", { ...query, by: "day" }, "sources.csv")),
    section(async () => {
      const { rows } = await get("/v1/kpis/sources", { query: { ...query, by: "day" } });
      const periods = days(query.from, query.to, rows);
      const sources = [...new Set(rows.map((r) => r.source))].sort();
      const count = (period, source) => rows.filter((r) => r.period === period && r.source === source)
        .reduce((sum, r) => sum + Number(r.received ?? 0), 0);
      const series = sources.map((name) => ({ name, values: periods.map((p) => count(p, name)) }));
      const labels = periods.map((p) => p.slice(5)); // MM-DD
      return [stackedColumns({ title: "Leads received per day, by source", categories: labels, series, format: fmt.number, whole: true }),
        h("details", {}, h("summary", {}, "Table"), table(SOURCE_COLUMNS, rows))];
    }));
}

/** Every day from `from` up to (not including) `to`, so days without leads show as such;
 * the rows' own days when the period is not given. */
function days(from, to, rows) {
  if (!from || !to) return [...new Set(rows.map((r) => r.period))].sort();
  const found = [];
  for (let day = new Date(`${from}T00:00:00Z`); day < new Date(`${to}T00:00:00Z`) && found.length < 400; day.setUTCDate(day.getUTCDate() + 1)) {
    found.push(day.toISOString().slice(0, 10));
  }
  return found;
}

const SOURCE_COLUMNS = [
  { label: "Period", key: "period" }, { label: "Source", key: "source" }, { label: "Channel", key: "channel" },
  { label: "Campaign", key: "campaign" }, { label: "Received", key: "received", numeric: true },
  { label: "Qualified", key: "qualified", numeric: true }, { label: "Nurtured", key: "nurtured", numeric: true },
  { label: "Disqualified", key: "disqualified", numeric: true },
];

function speedAndDealsPanel(query) {
  return panel("Speed to lead and deals", section(async () => {
    const summary = await get("/v1/kpis/summary", { query });
    const steps = ["offered", "accepted", "contacted"];
    const series = ["p50", "p90", "p99"].map((name) => ({ name, values: steps.map((s) => summary.speed[s]?.[name] ?? 0) }));
    const rows = steps.map((step) => ({ step: `received to ${step}`, ...(summary.speed[step] ?? {}) }));
    const between = Object.entries(summary.speed.steps ?? {}).filter(([step]) => !step.startsWith("received_")).map(([step, figures]) => ({ step: step.replaceAll("_", " "), ...figures }));
    const { deals, sla } = summary;
    const timed = rows.some((row) => row.count > 0);
    return h("div", { class: "beside" },
      timed ? groupedColumns({ title: "Time from received to each step (percentiles)", categories: steps, series, format: fmt.duration })
        : notice("empty", "No lead was timed to these steps in this period."),
      h("div", {}, table([
        { label: "Step", key: "step" }, { label: "Leads", key: "count", numeric: true },
        { label: "p50", key: "p50", format: fmt.duration }, { label: "p90", key: "p90", format: fmt.duration },
        { label: "p99", key: "p99", format: fmt.duration },
      ], [...rows, ...between]), tiles([
        ["SLA attainment", `${fmt.percent(sla.attainment)} of ${fmt.number(sla.settled ?? sla.offers)} settled`],
        ["Win rate", fmt.percent(deals.win_rate)], ["Won / lost", `${deals.won} / ${deals.lost}`],
        ["Volume", fmt.volume(deals)], ["Average deal", `${fmt.money(deals.average_deal)} ${deals.currency ?? ""}`],
      ])));
  }));
}

function verdictsPanel(query) {
  return panel("Verdicts and their reasons",
    h("div", { class: "actions" }, csvButton("/v1/kpis/verdicts", query, "verdicts.csv")),
    chartAndTable(() => get("/v1/kpis/verdicts", { query }),
      (rows) => bars({ title: "Share of leads", format: fmt.percent, max: 1,
        items: rows.map((r) => ({ label: r.reason ? `· ${r.reason}` : r.verdict, value: r.rate, colour: r.reason ? 1 : 0 })) }),
      [{ label: "Verdict", key: "verdict" }, { label: "Reason", render: (r) => r.reason ?? "(all)" },
        { label: "Leads", key: "count", numeric: true }, { label: "Rate", key: "rate", format: fmt.percent }],
      "No verdict in this period."));
}

function conversionPanel(query) {
  const stages = ["offered", "accepted", "contacted", "meeting_set", "won"];
  return panel("Conversion per rep",
    h("div", { class: "actions" }, csvButton("/v1/kpis/conversion", { ...query, by: "rep" }, "conversion.csv")),
    chartAndTable(() => get("/v1/kpis/conversion", { query: { ...query, by: "rep" } }),
      (rows) => groupedColumns({ title: "Leads at each stage, per rep", categories: rows.map((r) => r.key),
        series: stages.map((name) => ({ name, values: rows.map((r) => r[name]) })), format: fmt.number, whole: true }),
      [{ label: "Rep", key: "key" }, ...stages.map((key) => ({ label: key.replace("_", " "), key, numeric: true })),
        { label: "Win rate", key: "win_rate", format: fmt.percent }, { label: "Average deal", key: "average_deal", format: fmt.money }],
      "No offer in this period."));
}

function repsPanel(query) {
  return panel("Revenue and win rate per rep",
    h("div", { class: "actions" }, csvButton("/v1/kpis/reps", query, "reps.csv")),
    chartAndTable(() => get("/v1/kpis/reps", { query }),
      (rows) => bars({ title: "Revenue", format: fmt.money, items: rows.map((r) => ({ label: r.name ?? r.rep_id, value: r.revenue, colour: 2, note: `win rate ${fmt.percent(r.win_rate)}` })) }),
      [{ label: "Rep", key: "rep_id" }, { label: "Offered", key: "offered", numeric: true },
        { label: "Won", key: "won", numeric: true }, { label: "Lost", key: "lost", numeric: true },
        { label: "Win rate", key: "win_rate", format: fmt.percent }, { label: "Revenue", key: "revenue", format: fmt.money }],
      "No rep had an offer in this period."));
}

function lossPanel(query) {
  return panel("Why deals were lost",
    h("div", { class: "actions" }, csvButton("/v1/kpis/loss-reasons", query, "loss-reasons.csv")),
    chartAndTable(() => get("/v1/kpis/loss-reasons", { query }),
      (rows) => bars({ title: "Lost deals by reason", format: fmt.number, items: rows.map((r) => ({ label: r.reason ?? "(none given)", value: r.count, colour: 4 })) }),
      [{ label: "Reason", key: "reason" }, { label: "Deals", key: "count", numeric: true }],
      "No deal was lost in this period."));
}

function tablePanels(query) {
  const n = (label, key) => ({ label, key, numeric: true });
  return [
    panel("Farmers", rowsTable("/v1/kpis/farmers", query, [
      { label: "Farmer", render: (r) => r.name ?? r.farmer_id }, n("Accounts", "accounts"), n("Repeat orders", "repeat_orders"),
      { label: "Repeat-purchase rate", key: "repeat_purchase_rate", format: fmt.percent },
      n("Tasks due", "tasks_due"), n("On time", "tasks_on_time"), { label: "On-time rate", key: "on_time_rate", format: fmt.percent },
      n("Reactivated", "reactivated"),
    ], { empty: "No farmer figures in this period.", filename: "farmers.csv" })),
    panel("Fairness ledger: leads offered against each rep's share by weight",
      h("div", { class: "actions" }, csvButton("/v1/kpis/fairness", query, "fairness.csv")),
      chartAndTable(() => get("/v1/kpis/fairness", { query }),
        (rows) => groupedColumns({ title: "Offered and expected, per pool and rep", format: fmt.number,
          categories: rows.map((r) => `${r.pool} · ${r.rep_id}`),
          series: [{ name: "offered", values: rows.map((r) => r.offered) }, { name: "expected", values: rows.map((r) => r.expected) }] }),
        [{ label: "Pool", key: "pool" }, { label: "Rep", key: "rep_id" }, n("Weight", "weight"),
          n("Offered", "offered"), n("Expected", "expected"), n("Deviation", "deviation")],
        "No pool took turns in this period.")),
    panel("Accounts: ABC by revenue, XYZ by regularity", rowsTable("/v1/kpis/accounts", query, [
      { label: "Account", render: (r) => r.name ?? r.account_id }, { label: "Farmer", key: "farmer_id" },
      { label: "Revenue", key: "revenue", format: fmt.money }, { label: "Share", key: "share", format: fmt.percent },
      { label: "ABC", key: "abc" }, n("Orders", "orders"), { label: "XYZ", key: "xyz" },
    ], { empty: "No account has revenue in this period.", filename: "accounts.csv" })),
  ];
}
