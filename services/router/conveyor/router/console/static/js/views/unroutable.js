// Unroutable: leads waiting because no rep could take them, and why.

import { get } from "../api.js";
import { bars } from "../charts.js";
import { fmt, h, leadLink, panel, section, table } from "../dom.js";

/** The view: why leads wait (a chart of the exclusions) and the waiting leads. */
export function render() {
  const found = get("/v1/routing/unroutable", { query: { limit: 1000 } });
  return h("div", { class: "stack" },
    panel("Why leads wait", section(async () => reasons(await found))),
    panel("Waiting leads, oldest first", section(async () => waiting(await found))),
  );
}

function reasons({ waiting, leads }) {
  const totals = {};
  for (const lead of leads) {
    for (const [kind, count] of Object.entries(lead.excluded)) totals[kind] = (totals[kind] ?? 0) + count;
  }
  const items = Object.entries(totals).sort((a, b) => b[1] - a[1]).map(([label, value]) => ({ label, value, colour: 3 }));
  return [
    h("p", {}, `${fmt.number(waiting)} lead(s) waiting.`),
    items.length ? bars({ title: "Reps left out, by reason (all waiting leads)", items, format: fmt.number })
      : h("p", { class: "hint" }, "No rep was left out: the targets have no rep at all."),
  ];
}

function waiting({ leads }) {
  return table([
    { label: "Lead", render: (row) => leadLink(row.lead_id) },
    { label: "Since", key: "since", format: fmt.time },
    { label: "Reason", key: "reason" },
    { label: "Left out", render: (row) => Object.entries(row.excluded).map(([k, v]) => `${k}: ${v}`).join(", ") || "—" },
    { label: "Policy", key: "policy_version", numeric: true },
    { label: "Explanation", key: "explanation" },
  ], leads, { empty: "No lead is waiting." });
}
