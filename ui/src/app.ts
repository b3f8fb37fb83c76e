// The app's single page for now: the brand bar with the language toggle, the
// "Today" frame, and the status line. Built with DOM calls and textContent so
// no data is ever parsed as HTML.

import { t, type Lang, type MessageKey } from "./i18n";
import { statusText, type StatusState } from "./status";

const BRAND = "邻里 Linli";
export const LANG_STORAGE_KEY = "linli.lang";

export interface Deps {
  loadStatus: () => Promise<StatusState>;
  storage: Storage;
  now: () => Date;
}

const steps: [MessageKey, MessageKey][] = [
  ["stepDeliveryTitle", "stepDeliveryText"],
  ["stepPickupTitle", "stepPickupText"],
  ["stepAfterSaleTitle", "stepAfterSaleText"],
];

/** Renders into `root`; resolves once the status line has its answer. */
export async function mountApp(root: HTMLElement, deps: Deps): Promise<void> {
  // Chinese unless this counter chose English before.
  let lang: Lang = deps.storage.getItem(LANG_STORAGE_KEY) === "en" ? "en" : "zh-CN";
  let status: StatusState = { kind: "loading" };

  const toggle = () => {
    lang = lang === "zh-CN" ? "en" : "zh-CN";
    deps.storage.setItem(LANG_STORAGE_KEY, lang);
    draw();
    // The redraw replaced the button; keep keyboard users where they were.
    root.querySelector<HTMLButtonElement>(".lang-toggle")?.focus();
  };
  const draw = () => {
    document.documentElement.lang = lang;
    root.replaceChildren(...page(lang, status, deps.now(), toggle));
  };

  draw();
  status = await deps.loadStatus();
  draw();
}

function page(lang: Lang, status: StatusState, now: Date, toggle: () => void): HTMLElement[] {
  const langButton = el("button", { className: "lang-toggle", type: "button" }, t(lang, "switchLanguage"));
  langButton.addEventListener("click", toggle);
  const header = el("header", { className: "bar" }, el("h1", {}, BRAND), langButton);

  const date = new Intl.DateTimeFormat(lang, { dateStyle: "full" }).format(now);
  const list = el(
    "ol",
    { className: "steps" },
    ...steps.map(([title, text]) => el("li", { className: "step" }, el("h3", {}, t(lang, title)), el("p", {}, t(lang, text)))),
  );
  const today = el(
    "main",
    { className: "today" },
    el("h2", {}, t(lang, "today")),
    el("p", { className: "date" }, date),
    el("p", { className: "intro" }, t(lang, "todayIntro")),
    list,
  );

  const footer = el("footer", { className: `status status-${status.kind}` }, statusText(lang, status));
  footer.setAttribute("role", "status");
  return [header, today, footer];
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]>,
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}
