import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_STATUS } from './errors.js';

// The contract promises one list of every error code, in the README: this keeps the two the same.
describe('the README error table', () => {
  it('lists exactly the codes the service can answer, each with its status', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Errors'),
      readme.indexOf('\n## ', readme.indexOf('## Errors') + 1),
    );
    const rows = [...section.matchAll(/^\| `(\w+)`\s*\| (\d{3})\s*\|/gm)].map(([, code, status]) => [
      code,
      Number(status),
    ]);
    expect(Object.fromEntries(rows)).toEqual(ERROR_STATUS);
    expect(rows).toHaveLength(Object.keys(ERROR_STATUS).length);
  });
});
