// Conflicts with what to do about each (Sync screen and Orders → conflicts): per
// open conflict, what happened and what to do in the leader's language (the other
// beneath, as errors are), a note and "mark handled"; then the handled ones, kept
// as history. Marking handled is a counter fact the core records and syncs.

import { asAppError, type ConflictsView, type OpenConflict, type Words } from "../api";
import { button, el } from "../dom";
import { t, type Lang } from "../i18n";
import { chinaDateTime } from "../sync";
import { errorBox, type Ctx } from "./context";
import { conflictText } from "./orders";

function said(lang: Lang, w: Words, className: string): HTMLElement {
  const [main, other] = lang === "zh-CN" ? [w.zh, w.en] : [w.en, w.zh];
  return el("div", { className }, el("p", { className: "said" }, main), el("p", { className: "reason-other" }, other));
}

function openCard(ctx: Ctx, c: OpenConflict, reload: () => Promise<void>): HTMLElement {
  const { lang, api } = ctx;
  const note = el("input", { type: "text", className: "note conflict-note", placeholder: t(lang, "conflictNotePlaceholder"), maxLength: 200 });
  note.setAttribute("aria-label", t(lang, "conflictNotePlaceholder"));
  const message = el("div", { className: "message" });
  const handle = button(
    t(lang, "conflictMarkHandled"),
    () =>
      void api
        .resolveConflict({ day: c.day, order: c.order, conflict: c.conflict, note: note.value })
        .then(reload)
        .catch((e) => message.replaceChildren(errorBox(lang, asAppError(e)))),
    "primary mark-handled",
  );
  return el(
    "li",
    { className: "conflict-card", dataset: { number: c.number, conflict: c.conflict } },
    el("p", { className: "conflict-head" }, el("strong", {}, t(lang, "syncConflictOrder", { number: c.number, day: c.day })), ` ${c.consumerName} · ${t(lang, "phoneTail", { tail: c.phoneTail })} — `, el("span", { className: "conflict" }, conflictText(lang, c.conflict))),
    said(lang, c.whatHappened, "what-happened"),
    said(lang, c.whatToDo, "what-to-do"),
    el("div", { className: "conflict-actions" }, note, handle),
    message,
  );
}

function history(lang: Lang, view: ConflictsView): HTMLElement[] {
  if (view.handled.length === 0) return [];
  const head = el("tr", {}, el("th", {}, t(lang, "colNumber")), el("th", {}, t(lang, "colName")), el("th", {}, t(lang, "colTail")), el("th", {}, t(lang, "conflictColWhat")), el("th", {}, t(lang, "colNote")), el("th", {}, t(lang, "conflictColHandledBy")));
  const rows = view.handled.map((h) =>
    el(
      "tr",
      { dataset: { number: h.number } },
      el("td", {}, h.number),
      el("td", {}, h.consumer_name),
      el("td", {}, h.phone_tail),
      el("td", { className: "wrap" }, conflictText(lang, h.conflict)),
      el("td", { className: "wrap" }, h.note),
      el("td", {}, `${h.leader} · ${chinaDateTime(h.at)}`),
    ),
  );
  return [el("h3", {}, t(lang, "conflictHandledTitle")), el("table", { className: "handled-conflicts" }, el("thead", {}, head), el("tbody", {}, ...rows))];
}

/** The panel and a way to redraw it (after sync brings new conflicts). */
export function conflictsPanel(ctx: Ctx): { node: HTMLElement; reload: () => Promise<void> } {
  const node = el("section", { className: "conflicts-panel" });
  const reload = async () => {
    try {
      const view = await ctx.api.conflicts();
      const open =
        view.open.length === 0
          ? el("p", { className: "no-conflicts" }, t(ctx.lang, "syncConflictsNone"))
          : el("ul", { className: "conflict-cards" }, ...view.open.map((c) => openCard(ctx, c, reload)));
      node.replaceChildren(el("h3", {}, t(ctx.lang, "syncConflictsTitle")), open, ...history(ctx.lang, view));
    } catch (e) {
      node.replaceChildren(errorBox(ctx.lang, asAppError(e)));
    }
  };
  return { node, reload };
}
