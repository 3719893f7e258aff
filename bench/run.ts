/**
 * Runs every benchmark in `bench/` (files named `*.bench.ts`), or only those whose name contains the first
 * argument: `npm run bench`, `npm run bench -- envelope`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filter === undefined || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches '${filter ?? ''}'`);
  process.exit(1);
}
let failed = 0;
for (const file of files) {
  console.log(`\n## ${file} (Node ${process.version})`);
  // Each bench in its own process so one's garbage and JIT state do not colour the next.
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, file)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
