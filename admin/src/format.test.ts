import { describe, expect, it } from "vitest";
import { bp, dateTime, duration, fen, fenToYuan, yuanToFen } from "./format";

describe("money", () => {
  it("formats fen as yuan with two decimals", () => {
    expect(fen(0)).toBe("¥0.00");
    expect(fen(5)).toBe("¥0.05");
    expect(fen(1234)).toBe("¥12.34");
    expect(fen(123456789)).toBe("¥1,234,567.89");
    expect(fen(-250)).toBe("-¥2.50");
    expect(fen(null)).toBe("—");
    expect(fen(undefined)).toBe("—");
  });

  it("reads a typed price into fen", () => {
    expect(yuanToFen("12.34")).toBe(1234);
    expect(yuanToFen("12.3")).toBe(1230);
    expect(yuanToFen(" 7 ")).toBe(700);
    expect(yuanToFen("0.01")).toBe(1);
    expect(yuanToFen("1.234")).toBeNull();
    expect(yuanToFen("abc")).toBeNull();
    expect(yuanToFen("-1")).toBeNull();
    expect(fenToYuan(1230)).toBe("12.30");
    expect(fenToYuan(null)).toBe("");
  });

  it("shows basis points as a percentage", () => {
    expect(bp(1000)).toBe("10%");
    expect(bp(1250)).toBe("12.5%");
    expect(bp(null)).toBe("—");
  });
});

describe("dates and durations", () => {
  it("formats an instant as local date and minute", () => {
    expect(dateTime("2025-03-04T05:06:07")).toBe("2025-03-04 05:06");
    expect(dateTime(null)).toBe("—");
    expect(dateTime(new Date(2025, 0, 2, 13, 4).getTime())).toBe("2025-01-02 13:04");
    expect(dateTime("not a date")).toBe("not a date");
  });

  it("shows a waited time in both languages", () => {
    expect(duration(59)).toBe("0分钟");
    expect(duration(3600 * 5 + 60 * 7)).toBe("5小时7分钟");
    expect(duration(7200)).toBe("2小时");
    expect(duration(90061)).toBe("1天1小时");
    expect(duration(125, "en")).toBe("2m");
    expect(duration(90061, "en")).toBe("1d 1h");
    expect(duration(null)).toBe("—");
  });
});
