// Sync in words: the header badge and the Sync screen's lines, from the shell's
// `sync_state` (the sync loop's snapshot). Pure functions, so tests pin the words.

import type { SyncState } from "./api";
import { t, type Lang } from "./i18n";

export type BadgeTone = "ok" | "pending" | "offline" | "blocked" | "syncing";

/** The header badge: one short line and its colour. */
export function badge(lang: Lang, state: SyncState): { text: string; tone: BadgeTone } {
  const s = state.status;
  if (!s) return { text: t(lang, "syncNoServer"), tone: "offline" };
  if (s.blocked) return { text: t(lang, "syncBlocked"), tone: "blocked" };
  const p = s.progress;
  if (p && p.docs_total > 0 && p.docs_done < p.docs_total) {
    return { text: t(lang, "syncInProgress", { done: p.docs_done, total: p.docs_total }), tone: "syncing" };
  }
  const pending = s.pending.length;
  if (s.online) {
    return pending > 0 ? { text: `${t(lang, "syncOnline")} · ${t(lang, "syncPending", { n: pending })}`, tone: "pending" } : { text: t(lang, "syncAllSaved"), tone: "ok" };
  }
  return { text: `${t(lang, "syncOffline")} · ${pending > 0 ? t(lang, "syncPending", { n: pending }) : t(lang, "syncNone")}`, tone: "offline" };
}

/**
 * Why sync is not running, in a leader's words, from the loop's `last_error_code`
 * (`unreachable`, `lost`, or the server's refusal code); null when there is no code.
 * The loop's own English detail is shown beside it for support calls.
 */
export function syncTrouble(lang: Lang, code: string | null): string | null {
  switch (code) {
    case null:
      return null;
    case "unreachable":
      return t(lang, "syncWhyUnreachable");
    case "lost":
      return t(lang, "syncWhyLost");
    case "revoked_device":
      return t(lang, "syncWhyRevoked");
    case "unknown_device":
    case "bad_proof":
      return t(lang, "syncWhyUnknownDevice");
    default:
      return t(lang, "syncWhyRefusedChange");
  }
}

/** A UTC millisecond instant as YYYY-MM-DD HH:MM in Beijing time. */
export function chinaDateTime(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16).replace("T", " ");
}

/** The progress bar's share (0–100) while a large sync runs, else null. */
export function progressPercent(state: SyncState): number | null {
  const p = state.status?.progress;
  if (!p || p.docs_total === 0 || p.docs_done >= p.docs_total) return null;
  return Math.floor((p.docs_done * 100) / p.docs_total);
}
