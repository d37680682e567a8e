// A lead's story: everything that happened to it, in order, and each routing decision with
// its whole explanation (rules tried, reps considered and why any was left out).

import { get, serves } from "../api.js";
import { fmt, h, notice, panel, section, table } from "../dom.js";

/** The view: a search box, then the story of the lead named in the address. */
export function render([leadId = ""], me) {
  const admin = me.role === "admin" || me.role === "unknown";
  return [
    search(leadId),
    leadId ? panel("What happened", section(() => timeline(leadId))) : notice("info", "Enter a lead id to read its story."),
    leadId && admin ? panel("Routing decisions", section(() => decisions(leadId))) : null,
    leadId && admin ? panel("Offers", section(() => offers(leadId))) : null,
  ];
}

function search(leadId) {
  const input = h("input", { id: "story-lead", name: "lead_id", type: "search", value: leadId, placeholder: "lead id", required: true });
  return h("form", { class: "search", role: "search", onsubmit: (event) => {
    event.preventDefault();
    location.hash = `#/story/${encodeURIComponent(input.value.trim())}`;
  } }, h("label", { for: "story-lead" }, "Lead"), input, h("button", { type: "submit" }, "Open story"));
}

async function timeline(leadId) {
  const story = await get("/v1/leads/{lead_id}/story", { params: { lead_id: leadId } });
  if (!story.events.length) return notice("empty", "Nothing recorded for this lead.");
  return h("ol", { class: "timeline" }, story.events.map((event) => timelineEvent(event, serviceName(event.service))));
}

function timelineEvent(event, service) {
  return h("li", { class: `event service-${service}` },
    h("time", { datetime: event.time }, fmt.time(event.time)),
    h("span", { class: "badge" }, service),
    h("strong", {}, shortType(event.type)),
    h("p", {}, event.summary),
    event.data ? h("details", {}, h("summary", {}, "Details"), h("pre", {}, JSON.stringify(event.data, null, 2))) : null,
  );
}

/** "/conveyor/intake" -> "intake". */
function serviceName(source) {
  return String(source ?? "").split("/").filter(Boolean).at(-1) ?? "";
}

/** "conveyor.lead.sla_breached" or "LeadSlaBreached" -> "Lead sla breached". */
function shortType(type) {
  const words = type.replace(/^conveyor\./, "").replace(/([a-z])([A-Z])/g, "$1 $2").replace(/[._]/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

async function decisions(leadId) {
  if (!serves("GET", "/v1/leads/{lead_id}/routing")) return notice("unavailable", "Not available on this router.");
  const { decisions: found } = await get("/v1/leads/{lead_id}/routing", { params: { lead_id: leadId } });
  return found.map((d, i) => decision(d, i === found.length - 1));
}

/** One decision; the latest is shown unfolded (rules tried, reps considered). */
function decision(d, latest) {
  const trace = d.trace ?? {};
  const heading = d.outcome === "assigned" ? `Offered to ${d.rep_id} (rule ${d.rule}, policy v${d.policy_version})`
    : `Unroutable (policy v${d.policy_version})`;
  return h("article", { class: `decision decision-${d.outcome}` },
    h("header", {}, h("strong", {}, heading), " ", h("time", { datetime: d.at }, fmt.time(d.at))),
    h("p", { class: "explanation" }, d.explanation),
    h("details", { open: latest }, h("summary", {}, "Rules tried"), table([
      { label: "Rule", key: "rule" }, { label: "Matched", render: (r) => (r.matched ? "yes" : "no") },
      { label: "Why", render: (r) => r.reasons.join("; ") }, { label: "Outcome", key: "outcome" },
    ], trace.rules ?? [])),
    (trace.attempts ?? []).map((a) => attempt(a, latest)),
  );
}

function attempt(a, open) {
  return h("details", { class: "attempt", open },
    h("summary", {}, `Tried ${a.target} (${a.strategy.replaceAll("_", " ")}): ${a.summary}`),
    a.tie_break ? h("p", { class: "hint" }, `Tie-break: ${a.tie_break}`) : null,
    table([
      { label: "Rep", key: "rep_id" },
      { label: "Considered", render: (c) => c.excluded ?? (c.rep_id === a.rep_id ? "chosen" : "eligible") },
      { label: "Counter", key: "counter", numeric: true }, { label: "Open leads", key: "open_leads", numeric: true },
    ], a.candidates ?? [], { empty: "No candidate." }));
}

async function offers(leadId) {
  const rows = await get("/v1/assignments", { query: { lead_id: leadId } });
  return table([
    { label: "Assignment", key: "assignment_id" }, { label: "Rep", key: "rep_id" },
    { label: "Offered", key: "assigned_at", format: fmt.time },
    { label: "Status", key: "status" }, { label: "Delivery", key: "delivery" },
    { label: "Accepted", key: "accepted_at", format: fmt.time },
    { label: "Amount", render: (r) => (r.amount === null || r.amount === undefined ? "—" : `${fmt.money(r.amount)} ${r.currency ?? ""}`) },
    { label: "Reason", key: "outcome_reason" },
  ], rows, { empty: "No offer for this lead." });
}
