/**
 * fast-check parameters shared by every property.
 *
 * CI runs each property on a fixed seed (derived from the property's name), so a
 * run is reproducible bit for bit. `npm run explore` sets DST_EXPLORE=1: each
 * property then runs on a fresh seed, more runs, and a failure prints that seed
 * (fast-check's report includes `seed` and `path`; paste them back to replay).
 */
import fc from "fast-check";

const explore = process.env.DST_EXPLORE === "1";

/** A stable 31-bit seed from a property's name. */
export function seedFromName(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 1;
}

/** Parameters for `fc.assert`: fixed seed in CI, fresh seed under explore. */
export function propertyParameters<T>(name: string, numRuns = 100, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  const seed =
    process.env.DST_SEED !== undefined ? Number(process.env.DST_SEED) : explore ? freshSeed() : seedFromName(name);
  return {
    seed,
    numRuns: explore ? numRuns * 5 : numRuns,
    verbose: explore ? 1 : 0,
    ...extra,
    reporter: (details) => {
      if (details.failed) {
        const replay = `DST_SEED=${details.seed} npx vitest run -t ${JSON.stringify(name)}`;
        throw new Error(
          `${fc.defaultReportMessage(details)}\nProperty "${name}" failed with seed ${details.seed}. Replay: ${replay}`,
        );
      }
    },
  };
}

function freshSeed(): number {
  // Exploration is the one place a test picks a seed from ambient entropy; the seed is printed on failure.
  return Math.floor(Math.random() * 0x7fffffff);
}

export { explore };
