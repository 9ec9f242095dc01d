/**
 * Knobs: the configuration each seed draws (swarm testing of the whole run: cluster
 * size, timeouts, thresholds, disk latency), as data.
 *
 * Contract: a knob names the values it may take and its default, the value the
 * system has when nobody tunes it (its documented default, or the simplest shape:
 * 3 servers). Each seed draws every knob from its own stream (the runner forks one
 * per knob), so a new knob shifts no other draw. Shrinking moves a knob toward its
 * default (`knobShrinks`), one step strictly closer each time, so a minimal
 * counterexample keeps off their defaults only the knobs its failure needs.
 */
import type { Random } from "./random.ts";

/** A knob's value: part of a run's configuration. */
export type KnobValue = number | string | boolean;

/** One of `values` (ordered: shrinking walks the list toward `default`). */
export interface PickKnob {
  readonly kind: "pick";
  readonly values: readonly KnobValue[];
  readonly default: KnobValue;
}

/** An integer in [min, max]. */
export interface IntKnob {
  readonly kind: "int";
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

/** True with `probability`. */
export interface BoolKnob {
  readonly kind: "bool";
  readonly probability: number;
  readonly default: boolean;
}

/** A knob of a scenario (Scenario.knobs). */
export type Knob = PickKnob | IntKnob | BoolKnob;

/** A knob drawn uniformly from `values`; `defaultValue` must be one of them. */
export function pickKnob(values: readonly KnobValue[], defaultValue: KnobValue): PickKnob {
  return { kind: "pick", values, default: defaultValue };
}

/** A knob drawn uniformly from the integers in [min, max]; `defaultValue` must lie in it. */
export function intKnob(min: number, max: number, defaultValue: number): IntKnob {
  return { kind: "int", min, max, default: defaultValue };
}

/** A knob that is true with `probability`. */
export function boolKnob(probability: number, defaultValue: boolean): BoolKnob {
  return { kind: "bool", probability, default: defaultValue };
}

/** The knob's value for a run, drawn from `random` (the knob's own stream). */
export function drawKnob(knob: Knob, random: Random): KnobValue {
  switch (knob.kind) {
    case "pick":
      return random.pick(knob.values);
    case "int":
      return random.int(knob.min, knob.max);
    case "bool":
      return random.bool(knob.probability);
  }
}

/** What is wrong with a knob's declaration (a default it can never draw, an empty range), or undefined. */
export function knobProblem(knob: Knob): string | undefined {
  switch (knob.kind) {
    case "pick":
      if (knob.values.length === 0) return "no values";
      if (new Set(knob.values).size !== knob.values.length) return "a value listed twice";
      return knob.values.includes(knob.default)
        ? undefined
        : `default ${String(knob.default)} is not one of its values`;
    case "int":
      if (!Number.isSafeInteger(knob.min) || !Number.isSafeInteger(knob.max) || knob.max < knob.min)
        return `no integers in [${knob.min}, ${knob.max}]`;
      return Number.isSafeInteger(knob.default) && knob.default >= knob.min && knob.default <= knob.max
        ? undefined
        : `default ${knob.default} outside [${knob.min}, ${knob.max}]`;
    case "bool":
      return knob.probability >= 0 && knob.probability <= 1
        ? undefined
        : `probability ${knob.probability} outside [0, 1]`;
  }
}

/** Whether the knob can draw `value` (what a replay, a shrunk run or `--knob` may give it). */
export function knobCanDraw(knob: Knob, value: KnobValue): boolean {
  switch (knob.kind) {
    case "pick":
      return knob.values.includes(value);
    case "int":
      return typeof value === "number" && Number.isSafeInteger(value) && value >= knob.min && value <= knob.max;
    case "bool":
      return typeof value === "boolean";
  }
}

/**
 * How far `value` is from the knob's default, in shrink steps: list positions for a
 * pick, the difference for an int, 1 for a bool that differs. A value the knob cannot
 * draw (given by params) counts one step more than the farthest it can.
 */
export function knobDistance(knob: Knob, value: KnobValue): number {
  if (value === knob.default) return 0;
  switch (knob.kind) {
    case "pick": {
      const at = knob.values.indexOf(value);
      const home = knob.values.indexOf(knob.default);
      return at < 0 ? knob.values.length : Math.abs(at - home);
    }
    case "int":
      return typeof value === "number" && Number.isSafeInteger(value)
        ? Math.abs(value - knob.default)
        : knob.max - knob.min + 1;
    case "bool":
      return 1;
  }
}

/**
 * The values shrinking tries for a knob now at `value`: the default first, then
 * values between the two, nearest the default first (halving, as fast-check's
 * integer shrinker does). Each is strictly closer to the default than `value`.
 */
export function knobShrinks(knob: Knob, value: KnobValue): KnobValue[] {
  const distance = knobDistance(knob, value);
  if (distance === 0) return [];
  const shrinks: KnobValue[] = [knob.default];
  if (knob.kind === "pick") {
    const at = knob.values.indexOf(value);
    const home = knob.values.indexOf(knob.default);
    if (at >= 0)
      for (let step = 1; step < distance; step++)
        shrinks.push(knob.values[home + Math.sign(at - home) * step] as KnobValue);
  } else if (knob.kind === "int" && typeof value === "number" && Number.isSafeInteger(value)) {
    const direction = Math.sign(value - knob.default);
    for (let gap = Math.floor(distance / 2); gap >= 1; gap = Math.floor(gap / 2))
      shrinks.push(knob.default + direction * (distance - gap));
  }
  return [...new Set(shrinks)].filter((candidate) => knobDistance(knob, candidate) < distance);
}

/**
 * What a knob may take and its default, as text ("3 | 5, default 3"; "5..20, default 10"; "true with p=0.5, default
 * true").
 */
export function describeKnob(knob: Knob): string {
  switch (knob.kind) {
    case "pick":
      return `${knob.values.map(String).join(" | ")}, default ${String(knob.default)}`;
    case "int":
      return `${knob.min}..${knob.max}, default ${knob.default}`;
    case "bool":
      return `true with p=${knob.probability}, default ${String(knob.default)}`;
  }
}

/** "name=value" for each knob, in declaration order, one text (reports). */
export function describeKnobs(knobs: Readonly<Record<string, KnobValue>>): string {
  return Object.entries(knobs)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(" ");
}
