// The app shell: the brand bar with the sync badge and the language toggle, the
// screen tabs (F1–F9 from the keyboard), and the current screen. A device not
// enrolled yet opens on First run instead, and Today follows its enrollment.
// The badge reads `sync_state` when a screen opens and then follows the shell's
// `sync-status` event: nothing polls.

import type { Api, SyncState } from "./api";
import { button, el } from "./dom";
import { t, type Lang, type MessageKey } from "./i18n";
import type { Ctx, Screen, ScreenName } from "./screens/context";
import { commissionScreen } from "./screens/commission";
import { deliveryScreen } from "./screens/delivery";
import { ordersScreen } from "./screens/orders";
import { pickupScreen } from "./screens/pickup";
import { printingScreen } from "./screens/printing";
import { firstRunScreen } from "./screens/firstRun";
import { settingsScreen } from "./screens/settings";
import { syncScreen } from "./screens/sync";
import { teamScreen } from "./screens/team";
import { todayScreen } from "./screens/today";
import { badge as syncBadge } from "./sync";

const BRAND = "邻里 Linli";
export const LANG_STORAGE_KEY = "linli.lang";

export interface Deps {
  api: Api;
  storage: Storage;
}

export const screens: [ScreenName, MessageKey, Screen][] = [
  ["today", "navToday", todayScreen],
  ["delivery", "navDelivery", deliveryScreen],
  ["pickup", "navPickup", (root, ctx) => pickupScreen(root, ctx)],
  ["orders", "navOrders", ordersScreen],
  ["commission", "navCommission", commissionScreen],
  ["printing", "navPrinting", printingScreen],
  ["settings", "navSettings", settingsScreen],
  ["sync", "navSync", syncScreen],
  ["team", "navTeam", teamScreen],
];

export interface Shell {
  go: (screen: ScreenName) => Promise<void>;
  current: () => ScreenName;
}

/** Renders into `root`; resolves once the first screen has its data. */
export async function mountApp(root: HTMLElement, deps: Deps, first: ScreenName = "today"): Promise<Shell> {
  let lang: Lang = deps.storage.getItem(LANG_STORAGE_KEY) === "en" ? "en" : "zh-CN";
  let current: ScreenName = first;
  const main = el("main", { id: "screen" });
  const badge = el("span", { className: "sync-badge", id: "sync-badge" });
  badge.setAttribute("role", "status");
  const nav = el("nav", { className: "screens" });
  const header = el("header", { className: "bar" });

  let firstRun = false;
  const firstRunDraft: Record<string, string> = {};
  const showBadge = (state: SyncState) => {
    const b = syncBadge(lang, state);
    badge.textContent = b.text;
    badge.className = `sync-badge ${b.tone}`;
    badge.dataset.tone = b.tone;
  };
  // A screen's first read; every change after it arrives as an event.
  const refreshBadge = async () => {
    try {
      showBadge(await deps.api.syncState());
    } catch {
      badge.textContent = "";
    }
  };

  const drawChrome = () => {
    document.documentElement.lang = lang;
    const toggle = button(t(lang, "switchLanguage"), () => void setLang(lang === "zh-CN" ? "en" : "zh-CN", true), "lang-toggle");
    header.replaceChildren(el("h1", {}, BRAND), firstRun ? "" : badge, toggle);
    if (firstRun) {
      nav.replaceChildren();
      return;
    }
    nav.replaceChildren(
      ...screens.map(([name, key], i) => {
        const b = button(`${t(lang, key)}`, () => void go(name), name === current ? "nav active" : "nav");
        b.dataset.screen = name;
        b.title = `F${i + 1}`;
        if (name === current) b.setAttribute("aria-current", "page");
        return b;
      }),
    );
  };

  const ctx = (): Ctx => ({ api: deps.api, lang, go: (s) => void go(s), setLang: (l) => void setLang(l, false) });

  const go = async (name: ScreenName) => {
    if (firstRun) {
      drawChrome();
      await firstRunScreen(main, lang, deps.api, () => {
        firstRun = false;
        setTimeout(() => void go("today"), 600);
      }, firstRunDraft);
      return;
    }
    current = name;
    drawChrome();
    const screen = screens.find(([n]) => n === name)?.[2] ?? todayScreen;
    main.replaceChildren(el("p", { className: "loading" }, t(lang, "loading")));
    await Promise.all([screen(main, ctx()), refreshBadge()]);
  };

  const setLang = async (next: Lang, keepToggleFocus: boolean) => {
    lang = next;
    deps.storage.setItem(LANG_STORAGE_KEY, lang);
    await go(current);
    // The redraw replaced the button; keep keyboard users where they were.
    if (keepToggleFocus) root.querySelector<HTMLButtonElement>(".lang-toggle")?.focus();
  };

  document.addEventListener("keydown", (e) => {
    const n = /^F([1-9])$/.exec(e.key);
    if (!n || firstRun) return;
    e.preventDefault();
    void go(screens[Number(n[1]) - 1][0]);
  });

  root.replaceChildren(header, nav, main);
  await deps.api.onSyncState((state) => showBadge(state)).catch(() => undefined);
  firstRun = await deps.api.syncState().then(
    (s) => !s.enrolled,
    () => false,
  );
  await go(first);
  return { go, current: () => current };
}
