/**
 * Short texts for trace records: one searchable line of fields per record, and
 * the category of a kind (what colours it in the diagram and groups it in exports).
 */

/** The most characters one record's text keeps (a violation's details can be long). */
export const EVENT_TEXT_CHARACTERS_MAX = 600;
/** Significant digits kept for fractional numbers in texts. */
const TEXT_SIGNIFICANT_DIGITS = 6;

/**
 * The category of a kind: its first dotted segment ("net", "disk", "fault",
 * "process", "app", "phase", "probe", "violation", "buggify", ...).
 */
export function kindCategory(kind: string): string {
  const dot = kind.indexOf(".");
  return dot === -1 ? kind : kind.slice(0, dot);
}

/** The fields of a record as one line: `connection=1 to=n1 bytes=23`. */
export function fieldsText(fields: Record<string, unknown> | undefined): string {
  if (fields === undefined) return "";
  const parts: string[] = [];
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value === undefined) continue;
    parts.push(`${key}=${valueText(value)}`);
  }
  const text = parts.join(" ");
  return text.length > EVENT_TEXT_CHARACTERS_MAX ? `${text.slice(0, EVENT_TEXT_CHARACTERS_MAX - 1)}…` : text;
}

function valueText(value: unknown): string {
  if (typeof value === "number") return numberText(value);
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "boolean" || value === null) return String(value);
  try {
    return (
      JSON.stringify(value, (_key, inner: unknown) =>
        typeof inner === "number" ? Number(numberText(inner)) : inner,
      ) ?? String(value)
    );
  } catch {
    return String(value);
  }
}

/** A number shortened for reading: three decimals from 1 up, six significant digits below 1, integers in full. */
export function numberText(value: number): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  if (Math.abs(value) >= 1) return String(Math.round(value * 1000) / 1000);
  return String(Number(value.toPrecision(TEXT_SIGNIFICANT_DIGITS)));
}
