// What every screen gets: the shell's commands, the language, and a way to move
// to another screen.

import type { Api, AppError } from "../api";
import type { Lang } from "../i18n";
import { el } from "../dom";

export type ScreenName = "today" | "delivery" | "pickup" | "orders" | "commission" | "printing" | "settings" | "sync" | "team";

export interface Ctx {
  api: Api;
  lang: Lang;
  go: (screen: ScreenName) => void;
  /** Redraws the shell (e.g. after a language change in settings). */
  setLang: (lang: Lang) => void;
}

/** Draws into `root`; resolves once the screen has its data. */
export type Screen = (root: HTMLElement, ctx: Ctx) => Promise<void>;

/** An error in the current language, the other one beneath it, smaller. */
export function errorBox(lang: Lang, error: AppError, className = "error"): HTMLElement {
  const [main, other] = lang === "zh-CN" ? [error.zh, error.en] : [error.en, error.zh];
  const box = el("div", { className, dataset: { reason: error.reason } }, el("p", { className: "reason" }, main), el("p", { className: "reason-other" }, other));
  box.setAttribute("role", "alert");
  return box;
}
