/**
 * Deliberately nondeterministic worlds, never used by shipping code: one whose random
 * streams depend on ambient process-wide state (a counter shared by every world, as a
 * module-level cache or a global RNG would be), and one that ignores its seed.
 */
import { Random } from "../../../src/sim/random.ts";
import { World } from "../../../src/sim/world.ts";
import type { WorldFactory } from "../_support/world-factory.ts";

let forksInThisProcess = 0;

/** Forks of the root stream (host streams among them) also depend on how many forks any world made before. */
export const ambientStateWorld: WorldFactory = (options) => {
  const world = new World(options);
  const root = world.random;
  root.fork = (name) => new Random(`${root.seed}/${name}/${forksInThisProcess++}`);
  return world;
};

/** Every run uses seed 0, whatever it was given. */
export const seedIgnoringWorld: WorldFactory = (options) => new World({ ...options, seed: 0 });
