// Calls to the router's API: the credential (kept in sessionStorage, sent as Bearer),
// problem+json errors, and which endpoints this router serves (from its OpenAPI schema),
// so that the console never calls one that is not there.

const STORAGE_KEY = "conveyor.console.credential";
/** The router's base: the console is served at <base>/console/. */
export const apiBase = new URL("..", document.baseURI);

/** The call failed: status and the problem's title and detail. */
export class ApiError extends Error {
  constructor(status, problem) {
    const detail = problem.detail ? `: ${problem.detail}` : "";
    super(`${problem.title ?? `HTTP ${status}`}${detail} (${status})`);
    this.status = status;
    this.problem = problem;
  }
}

/** This router does not serve the endpoint (yet). */
export class Unavailable extends Error {}

export const credential = {
  get: () => sessionStorage.getItem(STORAGE_KEY),
  set: (token) => sessionStorage.setItem(STORAGE_KEY, token),
  clear: () => sessionStorage.removeItem(STORAGE_KEY),
};

let served = null; // Set of "METHOD /path/{template}", or null when the schema is unknown

/** Read the router's OpenAPI schema once: which endpoints exist. */
export async function loadCapabilities() {
  const response = await fetch(new URL("openapi.json", apiBase), { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const schema = await response.json();
  served = new Set(
    Object.entries(schema.paths ?? {}).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`)),
  );
}

/** Whether the router serves this endpoint (unknown schema: assume it does). */
export function serves(method, template) {
  return served === null || served.has(`${method} ${template}`);
}

/** The URL of an endpoint: {name} placeholders filled from params, empty query values left out. */
export function urlFor(template, { params = {}, query = {} } = {}) {
  const path = template.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(params[name]));
  const url = new URL(path.replace(/^\//, ""), apiBase);
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(name, value);
  }
  return url;
}

/** Call an endpoint; JSON (or text for CSV) on success, ApiError or Unavailable otherwise. */
export async function call(method, template, { params, query, body, csv = false } = {}) {
  if (!serves(method, template)) throw new Unavailable(`${method} ${template}`);
  const headers = { Accept: csv ? "text/csv" : "application/json" };
  const token = credential.get();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(urlFor(template, { params, query }), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await failed(response, `${method} ${template}`);
  if (response.status === 204) return null;
  return csv ? response.text() : response.json();
}

async function failed(response, endpoint) {
  const problem = await response.json().catch(() => ({}));
  if (response.status === 404 && !problem.detail) return new Unavailable(endpoint);
  if (response.status === 401) window.dispatchEvent(new CustomEvent("console:unauthorized"));
  return new ApiError(response.status, problem);
}

export const get = (template, options) => call("GET", template, options);
export const post = (template, options) => call("POST", template, options);
export const put = (template, options) => call("PUT", template, options);
