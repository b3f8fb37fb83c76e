// Commission (佣金): unsettled and settled totals and the per-order entries.

import { asAppError } from "../api";
import { button, el, yuan } from "../dom";
import { t } from "../i18n";
import { errorBox, type Ctx } from "./context";

export async function commissionScreen(root: HTMLElement, ctx: Ctx): Promise<void> {
  const { lang } = ctx;
  const message = el("div", { className: "message" });
  try {
    const v = await ctx.api.commission();
    const rows = v.entries.map((e) =>
      el("tr", {}, el("td", {}, e.day), el("td", {}, e.number), el("td", { className: "num" }, yuan(e.amount)), el("td", {}, e.settled_at === null ? t(lang, "unsettled") : t(lang, "settledAt"))),
    );
    root.replaceChildren(
      el("h2", {}, t(lang, "navCommission")),
      el(
        "div",
        { className: "tiles" },
        el("div", { className: "tile" }, el("span", { className: "tile-value" }, yuan(v.summary.pending)), el("span", { className: "tile-label" }, `${t(lang, "commissionPending")} · ${t(lang, "commissionOrders", { n: v.summary.orders_pending })}`)),
        el("div", { className: "tile" }, el("span", { className: "tile-value" }, yuan(v.summary.settled)), el("span", { className: "tile-label" }, t(lang, "commissionSettled"))),
      ),
      el(
        "div",
        { className: "actions" },
        button(t(lang, "exportExcel"), async () => {
          try {
            message.replaceChildren(el("p", { className: "success export-path" }, t(lang, "printSaved", { path: await ctx.api.exportCommission() })));
          } catch (e) {
            message.replaceChildren(errorBox(lang, asAppError(e)));
          }
        }, "export"),
      ),
      message,
      rows.length
        ? el("table", { className: "commission" }, el("thead", {}, el("tr", {}, ...(["colDay", "colNumber", "colAmount", "colStatus"] as const).map((k) => el("th", {}, t(lang, k))))), el("tbody", {}, ...rows))
        : el("p", { className: "empty" }, t(lang, "noOrders")),
    );
  } catch (e) {
    root.replaceChildren(el("h2", {}, t(lang, "navCommission")), errorBox(lang, asAppError(e)));
  }
}
