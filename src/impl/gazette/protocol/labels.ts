/**
 * Labels, LabelSets and LabelSelectors (broker/protocol/label_extensions.go).
 *
 * A LabelSet's labels are unique and sorted on (name, value); a label with an
 * empty value may not share its name with a non-empty one. A LabelSelector
 * includes sets that match every include label name (an empty include value
 * matches any value) and excludes sets that match any exclude label.
 * `parseLabelSelector` accepts Gazette's selector syntax:
 * "foo=bar", "foo!=bar", "foo", "!foo", "foo in (a,b)", "foo notin (a,b)",
 * comma-separated, with reasonable spacing ("logs=clicks, source=mobile").
 */
import { ValidationError, validateToken, withContext } from "./validation.ts";

export interface Label {
  name: string;
  value: string;
}

export interface LabelSet {
  /** Unique, sorted on (name, value). */
  labels: Label[];
}

export interface LabelSelector {
  include: LabelSet;
  exclude: LabelSet;
}

export const LABEL_NAME_LENGTH_MIN = 2;
export const LABEL_NAME_LENGTH_MAX = 64;
export const LABEL_VALUE_LENGTH_MAX = 1024;

/** Label.Validate. */
export function validateLabel(label: Label): void {
  withContext("Name", () => validateToken(label.name, LABEL_NAME_LENGTH_MIN, LABEL_NAME_LENGTH_MAX));
  withContext("Value", () => validateToken(label.value, 0, LABEL_VALUE_LENGTH_MAX));
}

/** LabelSet.Validate: each label valid; unique, sorted order; no name with both empty and non-empty values. */
export function validateLabelSet(set: LabelSet): void {
  set.labels.forEach((label, index) => {
    withContext(`Labels[${index}]`, () => validateLabel(label));
    if (index === 0) return;
    const previous = set.labels[index - 1] as Label;
    if (previous.name < label.name) return;
    if (previous.name === label.name) {
      if (previous.value >= label.value) {
        throw new ValidationError(
          `Labels not in unique, sorted order (index ${index}; label ${label.name} value ${label.value} <= ${previous.value})`,
        );
      }
      if (previous.value === "") {
        throw new ValidationError(
          `Label has empty & non-empty values (index ${index}; label ${label.name} value ${label.value})`,
        );
      }
      return;
    }
    throw new ValidationError(
      `Labels not in unique, sorted order (index ${index}; label name ${label.name} <= ${previous.name})`,
    );
  });
}

/** LabelSelector.Validate. */
export function validateLabelSelector(selector: LabelSelector): void {
  withContext("Include", () => validateLabelSet(selector.include));
  withContext("Exclude", () => validateLabelSet(selector.exclude));
}

function compareLabels(a: Label, b: Label): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return 0;
}

/** A LabelSet of name/value pairs (MustLabelSet): sorted, deduplicated and validated. */
export function labelSet(...nameValues: string[]): LabelSet {
  if (nameValues.length % 2 !== 0) throw new ValidationError("expected an even number of Name/Value arguments");
  let set: LabelSet = { labels: [] };
  for (let index = 0; index < nameValues.length; index += 2)
    set = addLabelValue(set, nameValues[index] as string, nameValues[index + 1] as string);
  validateLabelSet(set);
  return set;
}

/** A copy of `set` with label (name, value) added, keeping other values of `name`. */
export function addLabelValue(set: LabelSet, name: string, value: string): LabelSet {
  const label = { name, value };
  if (set.labels.some((existing) => compareLabels(existing, label) === 0)) return copyLabelSet(set);
  return { labels: [...set.labels.map((existing) => ({ ...existing })), label].sort(compareLabels) };
}

/** A copy of `set` whose only value of `name` is `value`. */
export function setLabelValue(set: LabelSet, name: string, value: string): LabelSet {
  return addLabelValue(removeLabel(set, name), name, value);
}

/** A copy of `set` without any label `name`. */
export function removeLabel(set: LabelSet, name: string): LabelSet {
  return { labels: set.labels.filter((label) => label.name !== name).map((label) => ({ ...label })) };
}

/** Values of label `name`, in order (empty when absent). */
export function valuesOf(set: LabelSet, name: string): string[] {
  return set.labels.filter((label) => label.name === name).map((label) => label.value);
}

/** The first value of label `name`, or "" (ValueOf). */
export function valueOf(set: LabelSet, name: string): string {
  return set.labels.find((label) => label.name === name)?.value ?? "";
}

export function copyLabelSet(set: LabelSet): LabelSet {
  return { labels: set.labels.map((label) => ({ ...label })) };
}

export function labelSetsEqual(a: LabelSet, b: LabelSet): boolean {
  return (
    a.labels.length === b.labels.length &&
    a.labels.every((label, index) => compareLabels(label, b.labels[index] as Label) === 0)
  );
}

function names(set: LabelSet): Set<string> {
  return new Set(set.labels.map((label) => label.name));
}

/** UnionLabelSets: every label name of either set; where both have a name, `lhs`'s values win. */
export function unionLabelSets(lhs: LabelSet, rhs: LabelSet): LabelSet {
  const left = names(lhs);
  return {
    labels: [...lhs.labels, ...rhs.labels.filter((label) => !left.has(label.name))]
      .map((label) => ({ ...label }))
      .sort(compareLabels),
  };
}

/** SubtractLabelSet: the labels of `lhs` whose name is not in `rhs` with exactly the same values. */
export function subtractLabelSet(lhs: LabelSet, rhs: LabelSet): LabelSet {
  const kept = [...names(lhs)].filter((name) => {
    const left = valuesOf(lhs, name);
    const right = valuesOf(rhs, name);
    return left.length !== right.length || left.some((value, index) => value !== right[index]);
  });
  const keep = new Set(kept);
  return { labels: lhs.labels.filter((label) => keep.has(label.name)).map((label) => ({ ...label })) };
}

/** LabelSelector.Matches: no exclude label matched, and every include label name matched. */
export function selectorMatches(selector: LabelSelector, set: LabelSet): boolean {
  for (const name of names(selector.exclude)) {
    if (nameMatched(valuesOf(selector.exclude, name), valuesOf(set, name))) return false;
  }
  for (const name of names(selector.include)) {
    if (!nameMatched(valuesOf(selector.include, name), valuesOf(set, name))) return false;
  }
  return true;
}

/** True if the set has the name and a selector value is "" (any) or one of the set's values. */
function nameMatched(selectorValues: readonly string[], setValues: readonly string[]): boolean {
  if (setValues.length === 0) return false;
  return selectorValues.some((value) => value === "" || setValues.includes(value));
}

// Gazette's selector expressions (label_extensions.go), with Unicode classes.
const TOKEN = " ?([\\p{L}\\p{N}\\-_+/.]{2,})";
const COMMA_OR_END = " ?(?:,|$)";
const PARENTHETICAL = " ?\\(([^)]+)\\)";
const SELECTOR_EQUAL = new RegExp(`^${TOKEN} ?=?=${TOKEN}${COMMA_OR_END}`, "u");
const SELECTOR_NOT_EQUAL = new RegExp(`^${TOKEN} ?!=${TOKEN}${COMMA_OR_END}`, "u");
const SELECTOR_SET_IN = new RegExp(`^${TOKEN} in${PARENTHETICAL}${COMMA_OR_END}`, "u");
const SELECTOR_SET_NOT_IN = new RegExp(`^${TOKEN} not ?in${PARENTHETICAL}${COMMA_OR_END}`, "u");
const SELECTOR_SET_EXISTS = new RegExp(`^${TOKEN}${COMMA_OR_END}`, "u");
const SELECTOR_SET_NOT_EXISTS = new RegExp(`^ ?!${TOKEN}${COMMA_OR_END}`, "u");
/** Expressions in one selector string at most (a bound on the parse loop). */
export const SELECTOR_EXPRESSIONS_MAX = 4096;

/** ParseLabelSelector (see the file comment); a string that does not parse is a ValidationError. */
export function parseLabelSelector(text: string): LabelSelector {
  const include: Label[] = [];
  const exclude: Label[] = [];
  let rest = text;
  for (let expressions = 0; rest.length !== 0; expressions++) {
    if (expressions >= SELECTOR_EXPRESSIONS_MAX)
      throw new ValidationError(`more than ${SELECTOR_EXPRESSIONS_MAX} selector expressions`);
    let match: RegExpExecArray | null;
    if ((match = SELECTOR_EQUAL.exec(rest)) !== null)
      include.push({ name: match[1] as string, value: match[2] as string });
    else if ((match = SELECTOR_NOT_EQUAL.exec(rest)) !== null)
      exclude.push({ name: match[1] as string, value: match[2] as string });
    else if ((match = SELECTOR_SET_IN.exec(rest)) !== null)
      include.push(...parseSetParts(text, match[1] as string, match[2] as string));
    else if ((match = SELECTOR_SET_NOT_IN.exec(rest)) !== null)
      exclude.push(...parseSetParts(text, match[1] as string, match[2] as string));
    else if ((match = SELECTOR_SET_EXISTS.exec(rest)) !== null) include.push({ name: match[1] as string, value: "" });
    else if ((match = SELECTOR_SET_NOT_EXISTS.exec(rest)) !== null)
      exclude.push({ name: match[1] as string, value: "" });
    else throw new ValidationError(`could not match ${JSON.stringify(rest)} to a label selector expression`);
    if (match[0].length === 0)
      throw new ValidationError(`could not match ${JSON.stringify(rest)} to a label selector expression`);
    rest = rest.slice(match[0].length);
  }
  const selector = {
    include: { labels: include.sort(compareLabels) },
    exclude: { labels: exclude.sort(compareLabels) },
  };
  validateLabelSelector(selector);
  return selector;
}

function parseSetParts(text: string, name: string, values: string): Label[] {
  const out: Label[] = [];
  let rest = values;
  for (let parts = 0; rest.length !== 0; parts++) {
    const match = SELECTOR_SET_EXISTS.exec(rest);
    if (match === null || match[0].length === 0 || parts >= SELECTOR_EXPRESSIONS_MAX) {
      throw new ValidationError(`could not match ${JSON.stringify(rest)} to a label selector set expression`).extend(
        `parsing ${JSON.stringify(text)}`,
      );
    }
    out.push({ name, value: match[1] as string });
    rest = rest.slice(match[0].length);
  }
  return out;
}

/** LabelSelector.String: the canonical, parseable form. */
export function selectorToString(selector: LabelSelector): string {
  const parts = [...groupsToString(selector.include.labels, false), ...groupsToString(selector.exclude.labels, true)];
  return parts.join(",");
}

function groupsToString(labels: readonly Label[], exclude: boolean): string[] {
  const out: string[] = [];
  for (const name of new Set(labels.map((label) => label.name))) {
    const values = labels.filter((label) => label.name === name).map((label) => label.value);
    if (values.length === 1 && values[0] === "") out.push(`${exclude ? "!" : ""}${name}`);
    else if (values.length === 1) out.push(`${name}${exclude ? "!" : ""}=${values[0] as string}`);
    else out.push(`${name}${exclude ? " notin (" : " in ("}${values.join(",")})`);
  }
  return out;
}

export function emptyLabelSelector(): LabelSelector {
  return { include: { labels: [] }, exclude: { labels: [] } };
}
