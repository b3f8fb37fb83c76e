import { describe, expect, it } from "vitest";
import { fakeApi, refundedConflict, settle } from "../fakeApi";
import { ordersScreen } from "./orders";
import { syncScreen } from "./sync";

const ctx = (api: ReturnType<typeof fakeApi>, lang: "zh-CN" | "en" = "zh-CN") => ({ api, lang, go: () => {}, setLang: () => {} });

describe("conflicts", () => {
  it("says on the Sync screen what happened and what to do, and marks it handled with a note", async () => {
    const api = fakeApi({}, { conflicts: [refundedConflict] });
    const root = document.createElement("div");
    await syncScreen(root, ctx(api));
    const card = root.querySelector<HTMLElement>(".conflict-card[data-number='1122-0007']")!;
    expect(card.querySelector(".conflict-head")?.textContent).toBe("订单 1122-0007（2026-11-22） 赵先生 · 尾号 0004 — 已取消/退款的订单被核销，请联系平台");
    expect(card.querySelector(".what-happened .said")?.textContent).toBe("订单已退款，但商品已经交给了顾客。");
    expect(card.querySelector(".what-to-do .said")?.textContent).toContain("尾号 0004");
    expect(card.querySelector(".what-to-do .reason-other")?.textContent).toContain("phone ending 0004");

    card.querySelector<HTMLInputElement>(".conflict-note")!.value = "已取回商品";
    card.querySelector<HTMLButtonElement>(".mark-handled")!.click();
    await settle();
    await settle();
    expect(api.calls).toContainEqual(["resolveConflict", { day: "2026-11-22", order: "o7", conflict: "handed_over_when_void", note: "已取回商品" }]);
    expect(root.querySelector(".conflict-card")).toBeNull();
    expect(root.querySelector(".no-conflicts")?.textContent).toBe("没有冲突");
    const handled = root.querySelector("table.handled-conflicts tbody tr")!;
    expect(handled.textContent).toContain("1122-0007");
    expect(handled.textContent).toContain("已取回商品");
    expect(handled.textContent).toContain("李姐");
  });

  it("shows a refusal of the action in both languages and keeps the conflict", async () => {
    const api = fakeApi({}, { conflicts: [refundedConflict] });
    api.resolveConflict = (request) => {
      api.calls.push(["resolveConflict", request]);
      return Promise.reject({ reason: "note_too_long", zh: "备注太长", en: "the note is too long" });
    };
    const root = document.createElement("div");
    await syncScreen(root, ctx(api, "en"));
    root.querySelector<HTMLButtonElement>(".mark-handled")!.click();
    await settle();
    expect(root.querySelector(".conflict-card [role=alert] .reason")?.textContent).toBe("the note is too long");
    expect(root.querySelector(".conflict-card .what-happened .said")?.textContent).toBe("The order was refunded, but its goods were handed over.");
  });

  it("is the Orders screen's conflicts tab", async () => {
    const api = fakeApi({}, { conflicts: [refundedConflict] });
    const root = document.createElement("div");
    await ordersScreen(root, ctx(api));
    root.querySelector<HTMLButtonElement>("button[data-tab=conflicts]")!.click();
    await settle();
    await settle();
    expect(root.querySelector(".conflict-card .mark-handled")?.textContent).toBe("已处理");
    expect(api.calls.some(([name]) => name === "conflicts")).toBe(true);
  });
});
