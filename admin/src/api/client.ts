// The one client: openapi-fetch typed from the generated schema, plus the
// token, the UI language, idempotency keys and error mapping.
import createClient from "openapi-fetch";
import type { paths } from "./schema";
import { ApiError, toApiError } from "./errors";
import { session, setToken } from "./session";

export { ApiError } from "./errors";

let onSignedOut: () => void = () => {};
/** The router registers where a 401 sends the person. */
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

export function authHeaders(): Record<string, string> {
  const h: Record<string, string> = { "Accept-Language": session.lang };
  if (session.token) h.Authorization = `Bearer ${session.token}`;
  return h;
}

// fetch is looked up at each call (so tests can stand in for it).
export const client = createClient<paths>({ baseUrl: "", fetch: (request: Request) => globalThis.fetch(request) });
client.use({
  onRequest({ request }) {
    for (const [k, v] of Object.entries(authHeaders())) request.headers.set(k, v);
    return request;
  },
});

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Awaits an openapi-fetch call; answers its data or throws an ApiError. */
export async function call<T>(pending: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await pending;
  } catch (e) {
    throw new ApiError(0, "network", e instanceof Error ? e.message : String(e));
  }
  const { data, error, response } = result;
  if (response.ok) return data as T;
  if (response.status === 401 && session.token) {
    setToken("");
    session.me = null;
    onSignedOut();
  }
  throw toApiError(response.status, error);
}

/**
 * One key per confirm dialog: `open()` when the dialog opens makes it, every
 * submit of that dialog reuses it, and a submit while one is in flight is
 * dropped, so a double click never does a thing twice.
 */
export class IdempotentAction {
  key = "";
  busy = false;

  open(): string {
    this.key = newKey();
    return this.key;
  }

  headers(): { "Idempotency-Key": string } {
    if (!this.key) this.open();
    return { "Idempotency-Key": this.key };
  }

  async run<T>(fn: (headers: { "Idempotency-Key": string }) => Promise<T>): Promise<T | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    try {
      return await fn(this.headers());
    } finally {
      this.busy = false;
    }
  }
}

export function newKey(): string {
  if (typeof crypto !== "undefined" && "randomUUID" in crypto) return crypto.randomUUID();
  return `k-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** GET a file (PDF, xlsx) with the token; answers a Blob or throws an ApiError. */
export async function fetchFile(path: string): Promise<Blob> {
  let res: Response;
  try {
    res = await fetch(path, { headers: authHeaders() });
  } catch (e) {
    throw new ApiError(0, "network", e instanceof Error ? e.message : String(e));
  }
  if (!res.ok) {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* plain text */
    }
    throw toApiError(res.status, body);
  }
  return res.blob();
}

/** Opens a PDF in a new tab: the tab opens on the click (no popup block), the blob follows. */
export async function openFile(path: string): Promise<void> {
  const tab = window.open("", "_blank");
  try {
    const blob = await fetchFile(path);
    const url = URL.createObjectURL(blob);
    if (tab) tab.location.href = url;
    else window.open(url, "_blank");
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (e) {
    tab?.close();
    throw e;
  }
}

/** Downloads a file (xlsx) under the given name. */
export async function downloadFile(path: string, name: string): Promise<void> {
  const blob = await fetchFile(path);
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** POSTs a file's raw bytes with its own Content-Type (an image); answers the JSON or throws an ApiError. */
export async function uploadRaw<T>(path: string, file: Blob): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { method: "POST", headers: { ...authHeaders(), "Content-Type": file.type || "application/octet-stream" }, body: file });
  } catch (e) {
    throw new ApiError(0, "network", e instanceof Error ? e.message : String(e));
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* plain text */
  }
  if (!res.ok) throw toApiError(res.status, body);
  return body as T;
}
