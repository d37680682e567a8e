// Stuck leads: those with no accepted owner beyond one business day.

import { get } from "../api.js";
import { fmt, h, leadLink, panel, section, table } from "../dom.js";
import { csvButton } from "./kpi_panels.js";

/** The view: the stuck leads, oldest first, each linked to its story. */
export function render() {
  return panel("Leads with no accepted owner beyond one business day",
    h("div", { class: "actions" }, csvButton("/v1/kpis/stuck", {}, "stuck-leads.csv")),
    section(async () => {
      const { rows } = await get("/v1/kpis/stuck");
      return table([
        { label: "Lead", render: (row) => leadLink(row.lead_id) },
        { label: "Source", key: "source" },
        { label: "Arrived", key: "arrived_at", format: fmt.time },
        { label: "Without an accepted owner since", key: "since", format: fmt.time },
        { label: "For", render: (row) => fmt.duration((Date.now() - Date.parse(row.since)) / 1000) },
        { label: "Offered to", key: "rep_id" },
      ], rows, { empty: "No lead is stuck." });
    }));
}
