// Today: the day's flow by stage as a funnel, the day's key figures, what needs attention.

import { get, serves } from "../api.js";
import { funnel } from "../charts.js";
import { fmt, h, isoDay, panel, section, tiles } from "../dom.js";

const STAGES = [
  ["received", "Received"], ["offered", "Offered"], ["accepted", "Accepted"],
  ["contacted", "Contacted"], ["meeting_set", "Meeting set"], ["won", "Won"],
];

/** The view: funnel and figures for today, and the lists that need someone. */
export function render(_args, me) {
  const today = { from: isoDay(0), to: isoDay(1) };
  const summary = get("/v1/kpis/summary", { query: today });
  return h("div", { class: "grid two" },
    panel(`Flow by stage, ${today.from} (UTC)`, section(async () => flow(await summary))),
    panel("Today's figures", section(async () => figures(await summary))),
    panel("Needs attention", section(() => attention(me))),
  );
}

function flow(summary) {
  const stages = STAGES.map(([key, label]) => ({ label, value: summary.stages[key] ?? 0 }));
  return [funnel({ title: "Leads at each stage today", stages, format: fmt.number }),
    h("p", { class: "hint" }, `Lost today: ${fmt.number(summary.stages.lost ?? 0)}`)];
}

function figures(summary) {
  const { leads, speed, sla, deals } = summary;
  return tiles([
    ["Received", fmt.number(leads.received)],
    ["Qualified", fmt.number(leads.qualified)],
    ["Nurtured", fmt.number(leads.nurtured)],
    ["Disqualified", fmt.number(leads.disqualified)],
    ["Offered within (median)", fmt.duration(speed.offered?.p50)],
    ["Accepted within (median)", fmt.duration(speed.accepted?.p50)],
    ["SLA attainment", fmt.percent(sla.attainment)],
    ["Won / lost", `${fmt.number(deals.won)} / ${fmt.number(deals.lost)}`],
    ["Won volume", fmt.volume(deals)],
    ["Stuck", fmt.number(summary.stuck)],
  ]);
}

async function attention(me) {
  const admin = me.role === "admin" || me.role === "unknown";
  const counts = [];
  if (serves("GET", "/v1/kpis/stuck")) {
    const stuck = await get("/v1/kpis/stuck");
    counts.push(["Stuck beyond a business day", link("#/stuck", stuck.rows.length)]);
  }
  if (admin) {
    const waiting = await get("/v1/routing/unroutable", { query: { limit: 1 } });
    const queue = await get("/v1/webhooks/queue");
    counts.push(["Waiting, unroutable", link("#/unroutable", waiting.waiting)]);
    counts.push(["Webhook dead letters", link("#/dead-letters", queue.dead ?? 0)]);
    counts.push(["Webhooks pending", fmt.number(queue.pending ?? 0)]);
  }
  return tiles(counts);
}

function link(href, count) {
  return h("a", { href }, fmt.number(count));
}
