// Pieces the KPI views share: CSV downloads (the credential goes in a header, so a plain
// link would not do) and a list endpoint shown as a table.

import { get } from "../api.js";
import { h, notice, section, table } from "../dom.js";

/** A button that fetches the endpoint's rows as CSV and saves them as a file. */
export function csvButton(template, query, filename) {
  const status = h("span", { class: "hint" });
  const button = h("button", { type: "button", class: "secondary", onclick: async () => {
    status.textContent = "";
    try {
      const text = await get(template, { query: { ...query, format: "csv" }, csv: true });
      save(new Blob([text], { type: "text/csv" }), filename);
    } catch (error) {
      status.textContent = error.message;
    }
  } }, "CSV");
  return h("span", { class: "csv" }, button, status);
}

function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const anchor = h("a", { href: url, download: filename, hidden: true });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The rows of a list endpoint as a table, with a CSV button. */
export function rowsTable(template, query, columns, { empty, filename }) {
  return [
    h("div", { class: "actions" }, csvButton(template, query, filename)),
    section(async () => table(columns, (await get(template, { query })).rows, { empty })),
  ];
}

/** A chart and its table side by side, from one call's rows. */
export function chartAndTable(load, chart, columns, empty) {
  return section(async () => {
    const rows = (await load()).rows;
    if (!rows.length) return notice("empty", empty);
    return h("div", { class: "beside" }, chart(rows), table(columns, rows));
  });
}
