import { describe, expect, it } from "vitest";
import { card, fakeApi, settle } from "../fakeApi";
import { printingScreen } from "./printing";

describe("printing", () => {
  it("prints the day's pick list and says where the file is", async () => {
    const root = document.createElement("div");
    const api = fakeApi();
    await printingScreen(root, { api, lang: "zh-CN", go: () => {}, setLang: () => {} });
    root.querySelector<HTMLButtonElement>(".print-pick-list")!.click();
    await settle();
    expect(api.calls).toContainEqual(["printPickList", "2026-11-22"]);
    expect(root.querySelector(".print-path")?.textContent).toBe("已保存：prints/pick-list.pdf");
    expect(root.querySelector(".info")?.textContent).toBe("未设置打印机，文件已保存");
  });

  it("prints bag labels for every order to pick up, or only the ones ticked", async () => {
    const api = fakeApi();
    api.listOrders = (tab, search) => {
      api.calls.push(["listOrders", tab, search]);
      return Promise.resolve([
        { ...card.order, id: "o1", number: "1122-0001", waitingDays: 0, overdue: false },
        { ...card.order, id: "o2", number: "1122-0002", waitingDays: 0, overdue: false },
      ]);
    };
    const root = document.createElement("div");
    await printingScreen(root, { api, lang: "zh-CN", go: () => {}, setLang: () => {} });
    const labels = root.querySelector<HTMLButtonElement>(".print-bag-labels")!;
    expect(labels.textContent).toBe("打印袋标（全部待提 2 张）");
    labels.click();
    await settle();
    expect(api.calls).toContainEqual(["printBagLabels", "2026-11-22", null]);
    expect(root.querySelector(".print-path")?.textContent).toBe("已保存：prints/bag-labels.pdf");

    const second = root.querySelector<HTMLInputElement>(".bag-label-choice input[data-number='1122-0002']")!;
    second.checked = true;
    second.dispatchEvent(new Event("change", { bubbles: true }));
    expect(labels.textContent).toBe("打印袋标（已选 1 张）");
    labels.click();
    await settle();
    expect(api.calls).toContainEqual(["printBagLabels", "2026-11-22", ["o2"]]);
  });

  it("keeps the saved file in view when the printer refuses", async () => {
    const root = document.createElement("div");
    await printingScreen(root, { api: fakeApi(), lang: "en", go: () => {}, setLang: () => {} });
    root.querySelector<HTMLButtonElement>(".print-statement")!.click();
    await settle();
    expect(root.querySelector(".print-path")?.textContent).toBe("Saved: prints/commission.pdf");
    expect(root.querySelector(".error .reason")?.textContent).toBe("Printer x did not take the job");
  });
});
