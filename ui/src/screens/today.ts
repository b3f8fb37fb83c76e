// Today (今日): the delivery's state, orders to pick up and picked up, today's
// commission, and where to go next.

import { asAppError, type TodayView } from "../api";
import { button, chinaClock, el, yuan } from "../dom";
import { t, type Lang } from "../i18n";
import { errorBox, type Ctx } from "./context";

export function deliveryText(lang: Lang, v: TodayView): string {
  const d = v.delivery;
  switch (d.state) {
    case "noDelivery":
      return t(lang, "deliveryNone");
    case "checking":
      return t(lang, "deliveryChecking", { counted: d.counted, lines: d.lines });
    case "accepted":
      return d.shortLines > 0
        ? t(lang, "deliveryAcceptedShort", { at: chinaClock(d.at), short: d.shortLines })
        : t(lang, "deliveryAccepted", { at: chinaClock(d.at) });
  }
}

function tile(label: string, value: string, className: string): HTMLElement {
  return el("div", { className: `tile ${className}` }, el("span", { className: "tile-value" }, value), el("span", { className: "tile-label" }, label));
}

export async function todayScreen(root: HTMLElement, ctx: Ctx): Promise<void> {
  const { lang } = ctx;
  let v: TodayView;
  try {
    v = await ctx.api.today();
  } catch (e) {
    const err = asAppError(e);
    root.replaceChildren(el("h2", {}, t(lang, "navToday")), err.reason === "not_enrolled" ? el("p", { className: "first-run" }, t(lang, "notEnrolled")) : errorBox(lang, err));
    return;
  }
  const delivery = el("p", { className: `delivery delivery-${v.delivery.state}` }, deliveryText(lang, v));
  root.replaceChildren(
    el("h2", {}, t(lang, "navToday")),
    el("p", { className: "day" }, t(lang, "dayOf", { day: v.day }), v.isToday ? "" : ` · ${t(lang, "notTodayNote")}`),
    delivery,
    el(
      "div",
      { className: "tiles" },
      tile(t(lang, "toPickUp"), String(v.counts.to_pick_up), "to-pick-up"),
      tile(t(lang, "pickedUp"), String(v.counts.picked_up), "picked-up"),
      tile(t(lang, "conflicts"), String(v.counts.conflicts), v.counts.conflicts > 0 ? "conflicts warn" : "conflicts"),
      tile(t(lang, "commissionToday"), yuan(v.counts.commission), "commission"),
      tile(t(lang, "commissionUnsettled"), yuan(v.commissionUnsettled), "unsettled"),
    ),
    el(
      "div",
      { className: "actions" },
      v.delivery.state === "checking" ? button(t(lang, "goDelivery"), () => ctx.go("delivery"), "primary") : null,
      button(t(lang, "goPickup"), () => ctx.go("pickup"), v.delivery.state === "checking" ? "" : "primary"),
    ),
  );
}
