import { useI18n } from "vue-i18n";

/** A server code (payment kind, method, conflict…) as its label, or itself when none is known. */
export function useLabel() {
  const { t, te } = useI18n();
  return (group: string, value: string | null | undefined): string => {
    if (value === null || value === undefined || value === "") return "—";
    const key = `${group}.${value}`;
    return te(key) ? t(key) : value;
  };
}
