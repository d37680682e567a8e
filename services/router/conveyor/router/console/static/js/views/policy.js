// The routing policy: the versions and which is in force, its rules, and a simulation of a
// draft over a past period with the differences it would have made.

import { get, post, serves } from "../api.js";
import { groupedColumns } from "../charts.js";
import { fmt, h, leadLink, notice, panel, section, table, tiles } from "../dom.js";

/** The view: policy versions, the rules in force, and the simulation form. */
export function render() {
  const book = get("/v1/routing/policies");
  const results = h("div", { class: "slot" });
  return h("div", { class: "stack" },
    panel("Versions", section(async () => versions(await book))),
    panel("Rules in force", section(async () => rules((await book).in_force))),
    panel("Simulate a policy on past leads", section(async () => simulationForm(await book, results)), results),
  );
}

function versions(book) {
  return [
    tiles([["In force", `v${book.in_force}`], ["Versions", book.versions.map((v) => `v${v}`).join(", ")]]),
    table([
      { label: "Version", key: "version", numeric: true },
      { label: "Effective", key: "effective_at", format: fmt.time },
      { label: "How", key: "kind" },
    ], book.activations, { empty: "No version was ever published: the built-in policy (v0) applies." }),
  ];
}

async function rules(version) {
  if (version === 0) return notice("info", "The built-in policy: one rule, round robin over the hunters of pool default.");
  if (!serves("GET", "/v1/routing/policies/{version}")) {
    return notice("unavailable", "Not available: this router does not serve a policy's rules (GET /v1/routing/policies/{version}) yet.");
  }
  const policy = await get("/v1/routing/policies/{version}", { params: { version } });
  return [table([
    { label: "Rule", key: "name" },
    { label: "When", render: (r) => (r.when ?? []).map(condition).join(" and ") || "always" },
    { label: "Target", render: (r) => r.pool ? `pool ${r.pool}` : r.rep ? `rep ${r.rep}` : r.key_account_owner ? "key-account owner" : "—" },
    { label: "Strategy", key: "strategy" },
  ], policy.rules), h("p", {}, `Fallback: ${JSON.stringify(policy.fallback ?? {})}`)];
}

function condition(c) {
  return `${c.field} ${c.op}${c.value === undefined ? "" : ` ${JSON.stringify(c.value)}`}`;
}

function simulationForm(book, results) {
  const local = (days) => new Date(Date.now() + days * 86400000).toISOString().slice(0, 16);
  const choices = [h("option", { value: "" }, "rules given below"), ...book.versions.map((v) => h("option", { value: v, selected: v === book.versions.at(-1) }, `v${v}`))];
  const form = h("form", { class: "simulation", onsubmit: (event) => {
    event.preventDefault();
    results.replaceChildren(section(() => simulate(new FormData(form))));
  } },
  h("label", {}, "Policy version", h("select", { name: "policy_version" }, choices)),
  h("label", {}, "From (UTC)", h("input", { type: "datetime-local", name: "start", value: local(-7), required: true })),
  h("label", {}, "To (UTC)", h("input", { type: "datetime-local", name: "end", value: local(1), required: true })),
  h("label", { class: "wide" }, "Rules and fallback (JSON, when no version is chosen)",
    h("textarea", { name: "policy", rows: 6, placeholder: '{"rules": [{"name": "all", "pool": "default"}], "fallback": {}}' })),
  h("button", { type: "submit", id: "simulate" }, "Run simulation"));
  return form;
}

async function simulate(data) {
  const body = { start: `${data.get("start")}:00Z`, end: `${data.get("end")}:00Z` };
  if (data.get("policy_version")) body.policy_version = Number(data.get("policy_version"));
  else Object.assign(body, parsePolicy(data.get("policy")));
  return differences(await post("/v1/routing/simulations", { body }));
}

function parsePolicy(text) {
  try {
    const parsed = JSON.parse(text);
    return { rules: parsed.rules, fallback: parsed.fallback ?? {} };
  } catch {
    throw new Error("the rules are not valid JSON");
  }
}

function differences(result) {
  const reps = [...new Set([...Object.keys(result.load_before), ...Object.keys(result.load_after)])].sort();
  return [
    tiles([["Leads replayed", fmt.number(result.leads)], ["Would change", fmt.number(result.changed)],
      ["Unroutable before → after", `${result.unroutable_before} → ${result.unroutable_after}`]]),
    reps.length ? groupedColumns({ title: "Leads per rep: as decided and as simulated", categories: reps, format: fmt.number, whole: true,
      series: [{ name: "as decided", values: reps.map((r) => result.load_before[r] ?? 0) },
        { name: "simulated", values: reps.map((r) => result.load_after[r] ?? 0) }] }) : null,
    table([
      { label: "Lead", render: (d) => leadLink(d.lead_id) }, { label: "At", key: "at", format: fmt.time },
      { label: "Decided", render: (d) => d.actual_rep ?? "unroutable" },
      { label: "Simulated", render: (d) => d.simulated_rep ?? "unroutable" },
      { label: "Rule", key: "simulated_rule" }, { label: "Why", key: "explanation" },
    ], result.differences, { empty: "The policy would have decided every lead the same way." }),
  ];
}
