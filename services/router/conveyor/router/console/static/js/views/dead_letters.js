// Dead letters: webhook messages that ran out of attempts, and replaying them.

import { get, post } from "../api.js";
import { failure, fmt, h, panel, section, table, tiles } from "../dom.js";

/** The view: the delivery queue's counts and the dead letters, each with a replay button. */
export function render() {
  const counts = h("div", { class: "slot" });
  const refresh = () => counts.replaceChildren(section(queue));
  refresh();
  return h("div", { class: "stack" },
    panel("Delivery queue", counts),
    panel("Dead letters, oldest first", section(async () => letters(await get("/v1/webhooks/dead-letters"), refresh))),
  );
}

async function queue() {
  const found = await get("/v1/webhooks/queue");
  return tiles([["Pending", fmt.number(found.pending ?? 0)], ["Delivered", fmt.number(found.delivered ?? 0)],
    ["Dead", fmt.number(found.dead ?? 0)]]);
}

function letters(rows, refresh) {
  return table([
    { label: "Message", key: "message_id" }, { label: "Rep", key: "rep_id" },
    { label: "Lead", render: (r) => h("a", { href: `#/story/${encodeURIComponent(r.lead_id)}` }, r.lead_id) },
    { label: "Kind", key: "kind" }, { label: "Attempts", key: "attempts", numeric: true },
    { label: "Last error", render: (r) => [r.last_status ? `HTTP ${r.last_status} ` : "", r.last_error ?? ""].join("") || "—" },
    { label: "", render: (r) => replayButton(r, refresh) },
  ], rows, { empty: "No dead letter." });
}

function replayButton(row, refresh) {
  const button = h("button", { type: "button", class: "secondary replay", onclick: async () => {
    button.disabled = true;
    try {
      const message = await post("/v1/webhooks/dead-letters/{message_id}/replay", { params: { message_id: row.message_id } });
      button.replaceWith(h("span", { class: "badge" }, `replayed: ${message.status}`));
      refresh();
    } catch (error) {
      button.replaceWith(failure(error));
    }
  } }, "Replay");
  return button;
}
