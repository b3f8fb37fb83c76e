import { describe, expect, it } from "vitest";
import { fakeApi, settle } from "../fakeApi";
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

  it("keeps the saved file in view when the printer refuses", async () => {
    const root = document.createElement("div");
    await printingScreen(root, { api: fakeApi(), lang: "en", go: () => {}, setLang: () => {} });
    root.querySelector<HTMLButtonElement>(".print-statement")!.click();
    await settle();
    expect(root.querySelector(".print-path")?.textContent).toBe("Saved: prints/commission.pdf");
    expect(root.querySelector(".error .reason")?.textContent).toBe("Printer x did not take the job");
  });
});
