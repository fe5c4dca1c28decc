/** `npm run contract:report`: how much of the legacy /api/v1 contract the REST bridge serves. */
import { readSupergraph } from '../../gateway/create-gateway.js';
import { apiSchemaOf, compareWithContract } from './compare.js';

const reports = compareWithContract(apiSchemaOf(readSupergraph()));
const byTag = new Map<string, typeof reports>();
for (const r of reports) {
  byTag.set(r.tag, [...(byTag.get(r.tag) ?? []), r]);
}
for (const [tag, list] of [...byTag].sort(([a], [b]) => a.localeCompare(b))) {
  const ok = list.filter((r) => r.matches).length;
  console.log(`\n${tag}  ${ok}/${list.length}`);
  for (const r of list) {
    const mark = r.matches ? '✓' : r.served ? '✗' : '·';
    console.log(
      `  ${mark} ${r.method.padEnd(6)} ${r.path}${r.problems.length ? `  — ${r.problems.join('; ')}` : ''}`,
    );
  }
}
const matching = reports.filter((r) => r.matches).length;
const served = reports.filter((r) => r.served).length;
console.log(
  `\n${matching}/${reports.length} contract operations served with matching method, path, status and response shape (${served} served).`,
);
console.log('Legend: ✓ matches  ✗ served but differs  · not served yet');
