/**
 * Deliberately broken random streams, never used by shipping code: a shuffle that draws
 * from ambient randomness, forks that share their parent's state or are seeded by a
 * draw of it, an int that overshoots its bound, and a shuffle that duplicates items.
 */
import { Random } from "../../../src/sim/random.ts";

/** Shuffles with Math.random: not a function of the seed. */
export class AmbientShuffleRandom extends Random {
  override shuffle<T>(items: readonly T[]): T[] {
    const result = items.slice();
    for (let i = result.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      const held = result[i] as T;
      result[i] = result[j] as T;
      result[j] = held;
    }
    return result;
  }
}

/** A fork draws from its parent's generator: drawing from one shifts the other. */
export class SharedStateForkRandom extends Random {
  override fork(name: string): Random {
    const next = () => this.next();
    const uint32 = () => this.uint32();
    return new (class extends Random {
      override next(): number {
        return next();
      }
      override uint32(): number {
        return uint32();
      }
    })(`${this.seed}/${name}`);
  }
}

/** A fork is seeded by a draw of its parent: it depends on earlier draws, and shifts the parent. */
export class DrawSeededForkRandom extends Random {
  override fork(name: string): Random {
    return new Random(`${this.seed}/${name}/${this.uint32()}`);
  }
}

/** int(min, max) can return max + 1. */
export class OffByOneIntRandom extends Random {
  override int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 2));
  }
}

/** shuffle copies instead of swapping: items get duplicated and lost. */
export class DuplicatingShuffleRandom extends Random {
  override shuffle<T>(items: readonly T[]): T[] {
    const result = items.slice();
    for (let i = result.length - 1; i > 0; i--) result[i] = result[this.int(0, i)] as T;
    return result;
  }
}
