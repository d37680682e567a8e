// The console's shell: log in and out, who is logged in, the navigation, and the view
// named by the address's hash (#/today, #/story/<lead id>, ...).

import { credential, get, loadCapabilities, serves } from "./api.js";
import { failure, h, nodes } from "./dom.js";
import * as deadLetters from "./views/dead_letters.js";
import * as kpis from "./views/kpis.js";
import * as plans from "./views/plans.js";
import * as policy from "./views/policy.js";
import * as story from "./views/story.js";
import * as stuck from "./views/stuck.js";
import * as today from "./views/today.js";
import * as unroutable from "./views/unroutable.js";

// [route, label, module, needs the administrator]
const VIEWS = [
  ["today", "Today", today, false],
  ["kpis", "KPIs", kpis, false],
  ["plans", "Plans", plans, false],
  ["stuck", "Stuck leads", stuck, false],
  ["unroutable", "Unroutable", unroutable, true],
  ["story", "Lead story", story, false],
  ["policy", "Routing policy", policy, true],
  ["dead-letters", "Dead letters", deadLetters, true],
];
const byId = (id) => document.getElementById(id);
let me = null;

/** Who the credential belongs to: GET /v1/me, or (before it exists) any call a valid
 * credential may make, with the role unknown. */
async function whoAmI() {
  if (serves("GET", "/v1/me")) return get("/v1/me");
  await get("/v1/assignments", { query: { lead_id: "console-credential-check" } });
  return { rep_id: null, name: null, role: "unknown", teams: [] };
}

async function logIn(event) {
  event.preventDefault();
  const message = byId("login-message");
  message.hidden = true;
  credential.set(byId("credential").value.trim());
  try {
    me = await whoAmI();
    byId("credential").value = "";
    show();
  } catch (error) {
    credential.clear();
    message.textContent = error.status === 401 ? "The router refused this credential." : failure(error).textContent;
    message.hidden = false;
  }
}

function logOut(reason = "") {
  credential.clear();
  me = null;
  show();
  const message = byId("login-message");
  message.textContent = reason;
  message.hidden = !reason;
}

function allowed([, , , adminOnly]) {
  return !adminOnly || me.role === "admin" || me.role === "unknown";
}

function describe(person) {
  const role = person.role === "unknown" ? "role unknown" : person.role.replace("_", " ");
  const name = person.name ?? person.rep_id ?? (person.role === "admin" ? "administrator" : "logged in");
  const teams = person.role === "team_lead" && person.teams?.length ? `: ${person.teams.join(", ")}` : "";
  return `${name} (${role}${teams})`;
}

function route() {
  const [name = "today", ...args] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const found = VIEWS.filter(allowed).find(([path]) => path === name);
  return found ? { view: found, args } : { view: VIEWS[0], args: [] };
}

function render() {
  const { view: [path, label, module], args } = route();
  byId("nav").replaceChildren(...VIEWS.filter(allowed).map(([p, l]) =>
    h("a", { href: `#/${p}`, class: p === path ? "active" : null, "aria-current": p === path ? "page" : null }, l)));
  byId("who").textContent = describe(me);
  document.title = `${label} · Conveyor console`;
  let content;
  try {
    content = module.render(args, me);
  } catch (error) {
    content = failure(error);
  }
  byId("view").replaceChildren(h("h1", {}, label), ...nodes(content));
}

function show() {
  const loggedIn = me !== null;
  for (const id of ["nav", "session", "view"]) byId(id).hidden = !loggedIn;
  byId("login").hidden = loggedIn;
  if (loggedIn) render();
  else byId("credential").focus();
}

async function start() {
  byId("login-form").addEventListener("submit", logIn);
  byId("logout").addEventListener("click", () => logOut());
  window.addEventListener("hashchange", () => me && render());
  window.addEventListener("console:unauthorized", () => me && logOut("The router refused the credential; log in again."));
  await loadCapabilities().catch(() => null);
  if (credential.get() !== null) me = await whoAmI().catch(() => null);
  show();
}

start();
