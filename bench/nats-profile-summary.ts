/**
 * Sums the self time of a `.cpuprofile` per function (name, file, line) and prints the top entries with their
 * share of the samples. Used with bench/nats-profile.ts (not part of `npm run bench`).
 *
 * ```sh
 * node --import tsx bench/nats-profile-summary.ts .bench-tmp/<file>.cpuprofile [top] [bundle.mjs]
 * ```
 *
 * With the esbuild bundle as third argument, it also sums self time per area: each bundle line is mapped to the
 * source file esbuild names in its `// src/...` comments, then to an area (transport, bus, envelope...).
 */
import { readFileSync } from 'node:fs';

interface Node {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  readonly nodes: Node[];
  readonly samples: number[];
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: nats-profile-summary.ts <file.cpuprofile> [top]');
const top = Number(process.argv[3] ?? 40);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const counts = new Map<string, number>();
for (const id of profile.samples) {
  const frame = byId.get(id)?.callFrame;
  if (frame === undefined) continue;
  const where =
    frame.url === '' ? '' : ` ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
  const name = `${frame.functionName || '(anonymous)'}${where}`;
  counts.set(name, (counts.get(name) ?? 0) + 1);
}
const bundle = process.argv[4];
const areaOfLine: string[] = [];
if (bundle !== undefined) {
  let area = 'bench';
  for (const line of readFileSync(bundle, 'utf8').split('\n')) {
    const marker = /^\/\/ (?:\S*\/)?(src|bench)\/(\S+)$/.exec(line);
    if (marker !== null) {
      const file = `${marker[1]}/${marker[2]}`;
      area = file.startsWith('src/transport/nats/')
        ? 'switchboard NATS transport'
        : file.startsWith('src/envelope/')
          ? 'switchboard envelope'
          : file.startsWith('src/bus/')
            ? 'switchboard bus'
            : file.startsWith('src/')
              ? `switchboard ${(marker[2] ?? '').split('/')[0]}`
              : 'bench driver';
    }
    areaOfLine.push(area);
  }
}
const areas = new Map<string, number>();
const bundleName = bundle?.split('/').pop() ?? '';
for (const id of profile.samples) {
  const frame = byId.get(id)?.callFrame;
  if (frame === undefined || bundle === undefined) continue;
  let area: string;
  if (frame.functionName === '(idle)') continue;
  if (bundleName !== '' && frame.url.endsWith(bundleName))
    area = areaOfLine[frame.lineNumber] ?? 'bench driver';
  else if (frame.url.includes('@nats-io/')) area = 'nats.js';
  else if (frame.url.includes('node_modules')) area = 'other packages';
  else if (frame.functionName === '(garbage collector)') area = 'garbage collector';
  else area = 'node and V8 (socket writes, TextEncoder/Decoder, microtasks...)';
  areas.set(area, (areas.get(area) ?? 0) + 1);
}
const total = profile.samples.length;
const idle = counts.get('(idle)') ?? 0;
console.log(
  `samples ${total}, idle ${((idle / total) * 100).toFixed(1)} %; shares below are of non-idle samples`,
);
for (const [name, count] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  if (name === '(idle)') continue;
  console.log(`${((count / (total - idle)) * 100).toFixed(1).padStart(5)} %  ${name}`);
}
if (bundle !== undefined) {
  console.log('\nby area (share of non-idle samples):');
  for (const [area, count] of [...areas].sort((a, b) => b[1] - a[1])) {
    console.log(`${((count / (total - idle)) * 100).toFixed(1).padStart(5)} %  ${area}`);
  }
}
