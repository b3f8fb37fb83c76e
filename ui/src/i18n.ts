// Every string the UI shows, Chinese first. The English table is typed against
// the Chinese one, and a test checks both at run time too.

export const zhCN = {
  switchLanguage: "English",
  today: "今日",
  todayIntro: "自提点今日工作",
  stepDeliveryTitle: "到货验收",
  stepDeliveryText: "对照商品汇总表逐行清点，确认后订单变为可提货。",
  stepPickupTitle: "提货核销",
  stepPickupText: "输入或扫描7位提货码，核对订单后一键确认。",
  stepAfterSaleTitle: "售后登记",
  stepAfterSaleText: "在退货期内为顾客登记售后，附至少两张照片。",
  statusLoading: "正在读取本机状态…",
  statusLine: "数据目录：{dataDir} · linli-core {coreVersion}",
  statusBrowser: "浏览器预览：未连接桌面应用",
  statusError: "无法读取本机状态：{error}",
} as const;

export type MessageKey = keyof typeof zhCN;

export const en: Record<MessageKey, string> = {
  switchLanguage: "中文",
  today: "Today",
  todayIntro: "The pickup point's day",
  stepDeliveryTitle: "Delivery check",
  stepDeliveryText: "Count each line against the goods summary; once accepted, orders are ready for pickup.",
  stepPickupTitle: "Handover",
  stepPickupText: "Type or scan the 7-digit pickup code, check the order, confirm with one tap.",
  stepAfterSaleTitle: "After-sale claim",
  stepAfterSaleText: "File a claim within the return window, with at least two photos.",
  statusLoading: "Reading this device's status…",
  statusLine: "Data folder: {dataDir} · linli-core {coreVersion}",
  statusBrowser: "Browser preview: not inside the desktop app",
  statusError: "Cannot read this device's status: {error}",
};

export const messages = { "zh-CN": zhCN, en } as const;

export type Lang = keyof typeof messages;

export const languages: Lang[] = ["zh-CN", "en"];

/** Looks up `key` in `lang` and fills `{name}` placeholders from `params`. */
export function t(lang: Lang, key: MessageKey, params: Record<string, string> = {}): string {
  const template: string = messages[lang][key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
}
