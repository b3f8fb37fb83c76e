// Settings (设置): language, printer, camera, overdue days, point name, server.

import { asAppError, type Settings } from "../api";
import { button, el } from "../dom";
import { t, type MessageKey } from "../i18n";
import { errorBox, type Ctx } from "./context";

export async function settingsScreen(root: HTMLElement, ctx: Ctx): Promise<void> {
  const { lang, api } = ctx;
  const message = el("div", { className: "message" });
  let s: Settings;
  try {
    s = await api.getSettings();
  } catch (e) {
    root.replaceChildren(el("h2", {}, t(lang, "navSettings")), errorBox(lang, asAppError(e)));
    return;
  }
  const field = (key: MessageKey, id: string, value: string | number) => {
    const input = el("input", { id, value: String(value) });
    return [input, el("label", { className: "field" }, el("span", {}, t(lang, key)), input)] as const;
  };
  const [printer, printerField] = field("settingsPrinter", "set-printer", s.printer);
  const [camera, cameraField] = field("settingsCamera", "set-camera", s.camera);
  const [overdue, overdueField] = field("settingsOverdue", "set-overdue", s.overdueDays);
  const [point, pointField] = field("settingsPointName", "set-point", s.pointName);
  const [server, serverField] = field("settingsServer", "set-server", s.server);
  const language = el("select", { id: "set-lang" }, el("option", { value: "zh-CN", selected: lang === "zh-CN" }, "中文"), el("option", { value: "en", selected: lang === "en" }, "English"));
  language.addEventListener("change", () => ctx.setLang(language.value === "en" ? "en" : "zh-CN"));
  const save = async () => {
    const next: Settings = {
      printer: printer.value.trim(),
      camera: Math.max(0, Math.floor(Number(camera.value) || 0)),
      overdueDays: Math.floor(Number(overdue.value) || 0),
      pointName: point.value.trim(),
      server: server.value.trim(),
    };
    try {
      await api.saveSettings(next);
      message.replaceChildren(el("p", { className: "success" }, t(lang, "saved")));
    } catch (e) {
      message.replaceChildren(errorBox(lang, asAppError(e)));
    }
  };
  root.replaceChildren(
    el("h2", {}, t(lang, "navSettings")),
    el("label", { className: "field" }, el("span", {}, t(lang, "settingsLanguage")), language),
    printerField,
    cameraField,
    overdueField,
    pointField,
    serverField,
    el("div", { className: "actions" }, button(t(lang, "save"), () => void save(), "primary")),
    message,
  );
}
