import { describe, expect, it } from "vitest";
import { languages, messages, t } from "./i18n";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("i18n table", () => {
  const keys = Object.keys(messages["zh-CN"]).sort();

  it.each(languages)("%s has exactly the zh-CN keys, none empty", (lang) => {
    const table: Record<string, string> = messages[lang];
    expect(Object.keys(table).sort()).toEqual(keys);
    for (const key of keys) expect(table[key].trim(), key).not.toBe("");
  });

  it.each(languages)("%s uses the same placeholders as zh-CN", (lang) => {
    const table: Record<string, string> = messages[lang];
    const zh: Record<string, string> = messages["zh-CN"];
    for (const key of keys) expect(placeholders(table[key]), key).toEqual(placeholders(zh[key]));
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(t("en", "statusError", { error: "disk full" })).toBe(
      "Cannot read this device's status: disk full",
    );
    expect(t("zh-CN", "statusError")).toBe("无法读取本机状态：{error}");
  });
});
