// First run (首次设置): the sync server's address and the enrollment code from the
// platform, plus the device's name and the leader's; Enter enrolls, then the
// shell opens Today on the synced data. The server's refusal is shown in both
// languages with its own words.

import { asAppError, type Api, type Enrolled } from "../api";
import { el } from "../dom";
import { t, type Lang, type MessageKey } from "../i18n";
import { errorBox } from "./context";

/** `draft` keeps what was typed across a language switch (the screen is redrawn). */
export async function firstRunScreen(root: HTMLElement, lang: Lang, api: Api, done: (e: Enrolled) => void, draft: Record<string, string> = {}): Promise<void> {
  const saved = await api.getSettings().catch(() => null);
  const message = el("div", { className: "message", id: "first-run-message" });
  const field = (key: MessageKey, id: string, value: string, required = true) => {
    const input = el("input", { id, value: draft[id] ?? value, required, autocomplete: "off" });
    input.addEventListener("input", () => (draft[id] = input.value));
    return [input, el("label", { className: "field" }, el("span", {}, t(lang, key)), input)] as const;
  };
  const [server, serverField] = field("firstRunServer", "fr-server", saved?.server || "http://");
  const [code, codeField] = field("firstRunCode", "fr-code", "");
  const [device, deviceField] = field("firstRunDevice", "fr-device", "收银台电脑", false);
  const [leader, leaderField] = field("firstRunLeader", "fr-leader", "");
  code.spellcheck = false;
  const submit = el("button", { type: "submit", className: "primary enroll" }, t(lang, "firstRunSubmit"));
  // The answer goes above the fields, so it is on screen on a small window too.
  const form = el("form", { className: "first-run" }, message, serverField, codeField, deviceField, leaderField, el("div", { className: "actions" }, submit));
  form.noValidate = true;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void enroll();
  });
  const enroll = async () => {
    submit.disabled = true;
    message.replaceChildren(el("p", { className: "working" }, t(lang, "firstRunWorking")));
    try {
      const enrolled = await api.enroll({ server: server.value, code: code.value, deviceName: device.value, leader: leader.value });
      message.replaceChildren(el("p", { className: "success" }, t(lang, "firstRunDone", { point: enrolled.point_name })));
      done(enrolled);
    } catch (e) {
      const err = asAppError(e);
      message.replaceChildren(errorBox(lang, err));
      const focus = { enroll_server: server, server_unreachable: server, server_answer: server, enroll_leader: leader }[err.reason] ?? code;
      focus.focus();
      focus.select();
    } finally {
      submit.disabled = false;
    }
  };
  root.replaceChildren(el("h2", {}, t(lang, "firstRunTitle")), el("p", { className: "intro" }, t(lang, "firstRunIntro")), form);
  (server.value === "http://" ? server : code).focus();
}
