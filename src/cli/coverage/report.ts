/**
 * Coverage of rare paths over a sweep: for each static point, how many runs hit it,
 * and the points never hit (the places the fault mix does not reach).
 */
import type { SweepRecord } from "../sweep/sweep-record.ts";
import type { Point } from "./points.ts";

export interface PointCoverage {
  kind: Point["kind"];
  name: string;
  runsHit: number;
  hits: number;
}

export interface CoverageReport {
  runs: number;
  points: PointCoverage[];
  neverHit: PointCoverage[];
  /** Points hit at run time that the static scan does not know (a registry gap). */
  unknown: string[];
}

export function coverageOf(records: readonly SweepRecord[], points: readonly Point[]): CoverageReport {
  const coverage = new Map<string, PointCoverage>();
  for (const point of points)
    coverage.set(keyOf(point.kind, point.name), { kind: point.kind, name: point.name, runsHit: 0, hits: 0 });
  const unknown = new Set<string>();
  for (const record of records) {
    for (const [name, count] of Object.entries(record.probes)) {
      const entry = coverage.get(name.startsWith("buggify:") ? name : keyOf("probe", name));
      if (entry === undefined) {
        unknown.add(name);
        continue;
      }
      entry.runsHit++;
      entry.hits += count;
    }
  }
  const all = [...coverage.values()];
  return {
    runs: records.length,
    points: all,
    neverHit: all.filter((entry) => entry.runsHit === 0),
    unknown: [...unknown].sort(),
  };
}

/** World probes count buggify firings as "buggify:<name>". */
function keyOf(kind: Point["kind"], name: string): string {
  return kind === "buggify" ? `buggify:${name}` : name;
}

/** The report as a table; with `prefixes`, only the points whose names start with one of them. */
export function formatCoverage(report: CoverageReport, prefixes?: readonly string[]): string {
  const relevant = (name: string) => prefixes === undefined || prefixes.some((prefix) => name.startsWith(prefix));
  const probes = report.points.filter((point) => point.kind === "probe" && relevant(point.name));
  const lines = [
    `coverage of rare paths over ${report.runs} runs: ${probes.filter((point) => point.runsHit > 0).length} of ${probes.length} probes hit`,
  ];
  lines.push("", "| probe | runs hit | hits |", "| --- | ---: | ---: |");
  for (const point of probes) lines.push(`| ${point.name} | ${point.runsHit} | ${point.hits} |`);
  const buggify = report.points.filter((point) => point.kind === "buggify" && relevant(point.name));
  for (const point of buggify) lines.push(`| buggify ${point.name} | ${point.runsHit} | ${point.hits} |`);
  const never = report.neverHit.filter((point) => relevant(point.name));
  if (never.length > 0)
    lines.push(
      "",
      `never hit: ${never.map((point) => (point.kind === "buggify" ? `buggify ${point.name}` : point.name)).join(", ")}`,
    );
  if (report.unknown.length > 0) lines.push("", `hit but not in the static registry: ${report.unknown.join(", ")}`);
  return lines.join("\n");
}
