/**
 * `npm run bench`: every benchmark, each figure beside a baseline measured in the
 * same run. Pass section names to run only some: `npm run bench -- kernel`.
 */
import { formatSection, type BenchSection } from "./lib.ts";
import { benchBackedPipe } from "./backedpipe.ts";
import { benchBmdb } from "./bmdb.ts";
import { benchCheck } from "./check.ts";
import { benchDqlite } from "./dqlite.ts";
import { benchEtcd } from "./etcd.ts";
import { benchGazette } from "./gazette.ts";
import { benchKernel } from "./kernel.ts";
import { benchRaft } from "./raft.ts";
import { benchStartup } from "./startup.ts";
import { benchSweep } from "./sweep.ts";

const SECTIONS: Record<string, () => Promise<BenchSection>> = {
  kernel: benchKernel,
  check: benchCheck,
  backedpipe: benchBackedPipe,
  raft: benchRaft,
  dqlite: benchDqlite,
  bmdb: benchBmdb,
  etcd: benchEtcd,
  gazette: benchGazette,
  sweep: benchSweep,
  startup: benchStartup,
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in SECTIONS)) {
    process.stderr.write(`bench: unknown section "${name}" (sections: ${Object.keys(SECTIONS).join(", ")})\n`);
    process.exit(2);
  }
}
for (const [name, bench] of Object.entries(SECTIONS)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`${formatSection(await bench())}\n\n`);
}
