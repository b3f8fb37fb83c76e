// Team (团队): the point's promoters by referral — each under the promoter who
// recruited them, indented — with the consumers each brought and what those
// ordered, from the team pulled from the server.

import { asAppError, type TeamRow, type TeamView } from "../api";
import { el, yuan } from "../dom";
import { t, type Lang } from "../i18n";
import { errorBox, type Ctx } from "./context";

/** Indentation per referral level, in rem. */
export const INDENT_REM = 1.5;

export function teamRow(lang: Lang, row: TeamRow, names: Map<string, string>): HTMLElement {
  const recruiter = row.recruited_by ? names.get(row.recruited_by) : undefined;
  const item = el(
    "li",
    { className: "promoter", dataset: { depth: String(row.depth), id: row.id } },
    el("p", { className: "promoter-name" }, row.name, " ", el("span", { className: "muted" }, `${row.phone} · ${t(lang, "teamCode", { code: row.referral_code })}`)),
    recruiter ? el("p", { className: "muted recruited-by" }, t(lang, "teamRecruitedBy", { name: recruiter })) : null,
    el("p", { className: "promoter-sales" }, t(lang, "teamSales", { n: row.consumers.length, orders: row.orders, amount: yuan(row.amount) })),
    row.consumers.length
      ? el("ul", { className: "consumers" }, ...row.consumers.map((c) => el("li", {}, t(lang, "teamConsumer", { name: c.name, tail: c.phone_tail, orders: c.orders, amount: yuan(c.amount) }))))
      : null,
  );
  item.style.marginInlineStart = `${row.depth * INDENT_REM}rem`;
  item.setAttribute("aria-level", String(row.depth + 1));
  item.tabIndex = 0;
  return item;
}

export function teamView(lang: Lang, v: TeamView): HTMLElement[] {
  if (!v.pulled) return [el("p", { className: "notice team-not-pulled" }, t(lang, "teamNotPulled"))];
  if (!v.rows.length) return [el("p", { className: "empty" }, t(lang, "teamEmpty"))];
  const names = new Map(v.rows.map((r) => [r.id, r.name]));
  const list = el("ul", { className: "team" }, ...v.rows.map((r) => teamRow(lang, r, names)));
  list.setAttribute("role", "tree");
  // Up and down move between promoters, so the whole tree reads from the keyboard.
  list.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const items = [...list.querySelectorAll<HTMLElement>(":scope > li.promoter")];
    const at = items.indexOf(document.activeElement as HTMLElement);
    const next = items[Math.min(items.length - 1, Math.max(0, at + (e.key === "ArrowDown" ? 1 : -1)))];
    if (next) {
      e.preventDefault();
      next.focus();
    }
  });
  return [el("p", { className: "team-totals" }, t(lang, "teamTotals", { promoters: v.rows.length, consumers: v.consumers, orders: v.orders, amount: yuan(v.amount) })), list];
}

export async function teamScreen(root: HTMLElement, ctx: Ctx): Promise<void> {
  const { lang } = ctx;
  try {
    const v = await ctx.api.team();
    root.replaceChildren(el("h2", {}, t(lang, "navTeam")), ...teamView(lang, v));
  } catch (e) {
    root.replaceChildren(el("h2", {}, t(lang, "navTeam")), errorBox(lang, asAppError(e)));
  }
}
