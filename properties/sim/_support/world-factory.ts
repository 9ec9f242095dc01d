/**
 * Worlds for properties: a property takes a `WorldFactory`, so that the same
 * property runs on the shipping world and on a deliberately broken one
 * (properties/sim/_fixtures/kernel-*.ts).
 */
import { World, type WorldOptions } from "../../../src/sim/world.ts";

export type WorldFactory = (options: WorldOptions) => World;

/** The shipping world. */
export const realWorld: WorldFactory = (options) => new World(options);
