import { beforeEach, describe, expect, it } from "vitest";
import { card, fakeApi, settle } from "../fakeApi";
import type { Ctx } from "./context";
import { pickupScreen } from "./pickup";

function press(input: HTMLInputElement, text: string) {
  input.value = text;
  input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
}

describe("pickup desk", () => {
  let root: HTMLElement;
  beforeEach(() => {
    root = document.createElement("div");
    document.body.replaceChildren(root);
  });

  const mount = async (api = fakeApi({ "1234567": { kind: "ready", card } }), lang: Ctx["lang"] = "zh-CN", clock = () => 0) => {
    await pickupScreen(root, { api, lang, go: () => {}, setLang: () => {} }, clock);
    return { api, input: root.querySelector<HTMLInputElement>("#pickup-input")! };
  };

  it("takes the focus, verifies on Enter, and confirms the whole order on a second Enter", async () => {
    const { api, input } = await mount();
    expect(document.activeElement).toBe(input);
    press(input, "1234567");
    await settle();
    expect(root.querySelector(".order-title")?.textContent).toBe("订单 1122-0003 · 王女士 · 尾号 0427");
    expect(root.querySelectorAll(".line")).toHaveLength(2);

    press(input, "1234567");
    await settle();
    expect(api.calls.at(-1)).toEqual(["handOver", "1234567", null, "Typed"]);
    expect(root.querySelector(".success")?.textContent).toBe("已核销：订单 1122-0003，3 件（键盘输入）");
    expect(input.value).toBe("");
  });

  it("hands over only the ticked lines and lowered quantities", async () => {
    const { api, input } = await mount();
    press(input, "1234567");
    await settle();
    const [egg, milk] = root.querySelectorAll<HTMLLIElement>(".line");
    egg.querySelector<HTMLInputElement>("input[type=checkbox]")!.checked = false;
    milk.querySelector<HTMLInputElement>(".qty")!.value = "1";
    root.querySelector<HTMLButtonElement>(".confirm")!.click();
    await settle();
    expect(api.calls.at(-1)).toEqual(["handOver", "1234567", [{ sku: "milk", qty: 1 }], "Typed"]);
  });

  it("records a scanner burst as the scanner", async () => {
    let t = 0;
    const { api, input } = await mount(undefined, "zh-CN", () => (t += 4));
    for (const key of "1234567") input.dispatchEvent(new KeyboardEvent("keydown", { key }));
    press(input, "1234567");
    await settle();
    press(input, "");
    await settle();
    expect(api.calls.at(-1)).toEqual(["handOver", "1234567", null, "Scanner"]);
  });

  it("shows a refusal in the current language with the other beneath, and does not hand over", async () => {
    const { api, input } = await mount(undefined, "en");
    press(input, "7654321");
    await settle();
    expect(root.querySelector(".refusal")?.getAttribute("data-reason")).toBe("unknown");
    expect(root.querySelector(".reason")?.textContent).toBe("no order at this point has this pickup code");
    expect(root.querySelector(".reason-other")?.textContent).toBe("本自提点没有这个提货码的订单");
    press(input, "7654321");
    await settle();
    expect(api.calls.some(([name]) => name === "handOver")).toBe(false);
  });

  it("says plainly when there is no camera and keeps the input usable", async () => {
    const noCamera = { reason: "no_camera", zh: "找不到摄像头 5（设置中选的摄像头）。", en: "Camera 5 (the one chosen in Settings) was not found." };
    const api = fakeApi({ "1234567": { kind: "ready", card } }, { cameraRefusal: noCamera });
    const { input } = await mount(api);
    root.querySelector<HTMLButtonElement>("#camera-button")!.click();
    await settle();
    expect(root.querySelector("[data-reason=no_camera] .reason")?.textContent).toBe(noCamera.zh);
    expect(root.querySelector("[data-reason=no_camera] .reason-other")?.textContent).toBe(noCamera.en);
    expect(root.querySelector("#camera-view")).toBeNull();
    expect(document.activeElement).toBe(input);
    press(input, "1234567");
    await settle();
    expect(root.querySelector(".order-title")?.textContent).toContain("1122-0003");
  });

  it("opens a live view that shows previews, verifies a read code like a typed one, and closes on Esc", async () => {
    const { api, input } = await mount(fakeApi({ "LINLI1:P:1234567": { kind: "ready", card } }));
    root.querySelector<HTMLButtonElement>("#camera-button")!.click();
    await settle();
    expect(api.cameraIsOpen()).toBe(true);
    expect(root.querySelector("#camera-view .camera-frame-box")).not.toBeNull();
    api.pushCamera({ kind: "preview", image: "data:image/jpeg;base64,AAAA", width: 320, height: 180 });
    expect(root.querySelector<HTMLImageElement>(".camera-preview")?.getAttribute("src")).toBe("data:image/jpeg;base64,AAAA");
    api.pushCamera({ kind: "refused", error: { reason: "foreign", zh: "这不是邻里提货码", en: "not a Linli pickup code" } });
    expect(root.querySelector(".camera-refused .reason")?.textContent).toBe("这不是邻里提货码");
    api.pushCamera({ kind: "found", payload: "LINLI1:P:1234567" });
    await settle();
    expect(api.calls).toContainEqual(["verifyCode", "LINLI1:P:1234567"]);
    expect(root.querySelector(".order-title")?.textContent).toBe("订单 1122-0003 · 王女士 · 尾号 0427");
    expect(root.querySelector("#camera-view"), "the view stays open for the next code").not.toBeNull();
    // Enter confirms, recorded as the camera.
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    await settle();
    expect(api.calls.at(-1)).toEqual(["handOver", "LINLI1:P:1234567", null, "CameraQr"]);
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    await settle();
    expect(root.querySelector("#camera-view")).toBeNull();
    expect(api.cameraIsOpen()).toBe(false);
    expect(root.querySelector(".success")?.textContent).toContain("摄像头");
  });

  it("says a camera failure in both languages and releases the camera once the screen is left", async () => {
    const { api } = await mount();
    root.querySelector<HTMLButtonElement>("#camera-button")!.click();
    await settle();
    api.pushCamera({ kind: "failed", error: { reason: "camera", zh: "摄像头无法使用：断开", en: "The camera failed: unplugged" } });
    expect(root.querySelector(".camera-failed .reason-other")?.textContent).toBe("The camera failed: unplugged");
    root.remove();
    api.pushCamera({ kind: "preview", image: "data:image/jpeg;base64,AAAA", width: 320, height: 180 });
    await settle();
    expect(api.cameraIsOpen()).toBe(false);
  });

  it("starts over on Escape without handing anything over", async () => {
    const { api, input } = await mount();
    press(input, "1234567");
    await settle();
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    expect(input.value).toBe("");
    expect(root.querySelector("#pickup-result")?.childElementCount).toBe(0);
    press(input, "");
    await settle();
    expect(api.calls.some(([name]) => name === "handOver")).toBe(false);
  });
});
