// Sync (同步): online or offline, the last successful sync, local changes the
// server lacks, a progress bar during a large sync, the conflicts with what to do
// about each, a refusal (e.g. a revoked device) in plain words, and "sync now".
// The status is read once when the screen opens, then redrawn on every
// `sync-status` event from the shell; the conflicts panel (which holds a note
// being typed) only when the set of conflicts the loop reports changes.

import { asAppError, type SyncState } from "../api";
import { button, el } from "../dom";
import { t, type Lang } from "../i18n";
import { badge, chinaDateTime, progressPercent, syncTrouble } from "../sync";
import { errorBox, type Ctx } from "./context";
import { conflictsPanel } from "./conflicts";

export function syncView(lang: Lang, state: SyncState): HTMLElement[] {
  const s = state.status;
  const server = state.server || "—";
  const parts: HTMLElement[] = [];
  if (!s) {
    parts.push(el("p", { className: "sync-banner offline" }, t(lang, "syncNoServer")));
    return parts;
  }
  // The loop's words are English and technical: the banner says the reason in the
  // leader's words and keeps the detail on a line of its own for support.
  const trouble = syncTrouble(lang, s.last_error_code);
  const detail = (text: string) => el("p", { className: "error-detail" }, t(lang, "syncErrorDetail", { detail: text }));
  if (s.blocked) {
    const blocked = el("p", { className: "sync-banner blocked" }, t(lang, "syncBlockedBanner", { why: trouble ?? s.blocked }));
    blocked.setAttribute("role", "alert");
    parts.push(blocked);
    if (trouble) parts.push(detail(s.blocked));
  } else if (s.online) {
    parts.push(el("p", { className: "sync-banner online" }, t(lang, "syncOnlineBanner", { server })));
  } else {
    parts.push(el("p", { className: "sync-banner offline" }, t(lang, "syncOfflineBanner", { server })));
  }
  const percent = progressPercent(state);
  if (percent !== null && s.progress) {
    const bar = el("progress", { className: "sync-progress", max: s.progress.docs_total, value: s.progress.docs_done });
    parts.push(el("div", { className: "sync-progress-row" }, bar, el("span", {}, ` ${badge(lang, state).text} (${percent}%)`)));
  }
  parts.push(el("p", { className: "last-sync" }, s.last_sync_at ? t(lang, "syncLast", { at: chinaDateTime(s.last_sync_at) }) : t(lang, "syncNever")));
  parts.push(el("p", { className: "pending" }, s.pending.length > 0 ? t(lang, "syncPendingDetail", { n: s.pending.length }) : t(lang, "syncPendingNone")));
  if (!s.online && !s.blocked) {
    if (s.retry_in_ms !== null) parts.push(el("p", { className: "retry" }, t(lang, "syncRetryIn", { s: Math.ceil(s.retry_in_ms / 1000) })));
    if (s.last_error) {
      parts.push(el("p", { className: "last-error" }, t(lang, "syncLastError", { error: trouble ?? s.last_error })));
      if (trouble) parts.push(detail(s.last_error));
    }
  }
  return parts;
}

export async function syncScreen(root: HTMLElement, ctx: Ctx): Promise<void> {
  const { lang, api } = ctx;
  const body = el("section", { className: "sync-body" });
  const message = el("div", { className: "message" });
  const panel = conflictsPanel(ctx);
  let seen: string | null = null;
  const show = async (state: SyncState) => {
    body.replaceChildren(...syncView(lang, state));
    const now = JSON.stringify(state.status?.conflicts ?? []);
    if (now !== seen) {
      seen = now;
      await panel.reload();
    }
  };
  const draw = async () => {
    try {
      await show(await api.syncState());
    } catch (e) {
      body.replaceChildren(errorBox(lang, asAppError(e)));
    }
  };
  const now = button(
    t(lang, "syncNowButton"),
    () =>
      void api
        .syncNow()
        .then(() => message.replaceChildren(el("p", { className: "success" }, t(lang, "syncNowSent"))))
        .catch((e) => message.replaceChildren(errorBox(lang, asAppError(e))))
        .then(draw),
    "primary sync-now",
  );
  await draw();
  root.replaceChildren(el("h2", {}, t(lang, "navSync")), body, el("div", { className: "actions" }, now), message, panel.node);
  // Listens while on screen: the first event after the screen was left ends it.
  let stop: (() => void) | null = null;
  let left = false;
  stop = await api
    .onSyncState((state) => {
      if (body.isConnected) return void show(state);
      left = true;
      stop?.();
    })
    .catch(() => null);
  if (left) stop?.();
}
