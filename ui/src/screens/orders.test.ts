import { describe, expect, it } from "vitest";
import type { OrderListRow } from "../api";
import { card, fakeApi, settle } from "../fakeApi";
import { conflictText, ordersScreen } from "./orders";

const row = (over: Partial<OrderListRow>): OrderListRow => ({ ...card.order, waitingDays: 0, overdue: false, ...over });

describe("orders", () => {
  it("marks overdue orders, words conflicts, and searches the chosen tab", async () => {
    const api = fakeApi();
    api.listOrders = (tab, search) => {
      api.calls.push(["listOrders", tab, search]);
      return Promise.resolve([row({ number: "1122-0001", waitingDays: 4, overdue: true }), row({ number: "1122-0002", conflicts: ["short_delivery"] })]);
    };
    const root = document.createElement("div");
    await ordersScreen(root, { api, lang: "zh-CN", go: () => {}, setLang: () => {} });
    const rows = root.querySelectorAll("tbody tr");
    expect(rows[0].classList.contains("overdue")).toBe(true);
    expect(rows[0].querySelector(".badge")?.textContent).toBe("超期未取");
    expect(rows[1].querySelector(".conflict")?.textContent).toBe(" ⚠ 到货短缺，部分商品无法提供");

    root.querySelector<HTMLButtonElement>("button[data-tab=pickedUp]")!.click();
    const search = root.querySelector<HTMLInputElement>("#orders-search")!;
    search.value = "0427";
    search.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    await settle();
    expect(api.calls.at(-1)).toEqual(["listOrders", "pickedUp", "0427"]);
  });

  it("leaves an unknown conflict name readable", () => {
    expect(conflictText("en", "something_new")).toBe("something_new");
    expect(conflictText("en", "duplicate_handover")).toBe("Handed over twice; check the goods");
  });
});
