import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { SETTING_PREFIXES } from '../src/config/env.schema.js';
import { SETTING_NAMES } from '../src/config/load-config.js';

/**
 * The documentation stays true: the README's settings table and .env.example list exactly the settings the
 * config schema reads, no page names a setting that does not exist, the README stays short, and every
 * relative link leads somewhere. (The README's error table is held to ERROR_STATUS by errors.spec.ts.)
 */

const ROOT = resolve(import.meta.dirname, '..');
const MAX_README_LINES = 300;

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const sorted = (names: Iterable<string>): string[] => [...new Set(names)].sort();

/** The pages this test keeps true (SECURITY.md has its own owners). */
function documentationFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', 'bench/README.md', ...docs];
}

/** The text under `## <heading>`, up to the next heading of the same level. */
function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (start < 0) throw new Error(`no "## ${heading}" section`);
  const end = lines.findIndex((line, i) => i > start && /^## /.test(line));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** The body rows of the first Markdown table in `text`, as trimmed cells (`\|` stays inside a cell). */
function tableRows(text: string): string[][] {
  const rows = text
    .split('\n')
    .filter((line) => line.trimStart().startsWith('|'))
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
  // The header, then the |---| separator.
  expect(rows.length).toBeGreaterThan(2);
  expect(rows[1].every((cell) => /^:?-+:?$/.test(cell))).toBe(true);
  return rows.slice(2);
}

const codeNames = (cell: string): string[] => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]);

/** Names that look like settings (the prefixes loadConfig refuses as typos), wherever they are written. */
function settingLookalikes(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/\b[A-Z][A-Z0-9_]*/g)) {
    const name = match[0].replace(/_+$/, '');
    if (!SETTING_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    // A prefix alone ("starting with `JWT_`") or a family ("JWT_SSO_*") is not a name.
    if (SETTING_PREFIXES.some((prefix) => prefix.replace(/_$/, '') === name)) continue;
    if (text[match.index + match[0].length] === '*') continue;
    names.push(name);
  }
  return names;
}

describe('README settings table and .env.example', () => {
  const readme = read('README.md');
  const rows = tableRows(section(readme, 'Settings'));

  it('lists every setting of the schema once, with a default and a meaning, and nothing else', () => {
    const names = rows.flatMap((row) => codeNames(row[0]));
    expect(names.length).toBe(new Set(names).size);
    expect(sorted(names)).toEqual(sorted(SETTING_NAMES));
    for (const row of rows) {
      expect(row).toHaveLength(3);
      expect(row[1]).not.toBe('');
      expect(row[2]).not.toBe('');
    }
  });

  it('.env.example names every setting once, and nothing else', () => {
    const names = [...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(names.length).toBe(new Set(names).size);
    expect(sorted(names)).toEqual(sorted(SETTING_NAMES));
  });

  it.each([...documentationFiles(), '.env.example'])('%s names no setting that does not exist', (file) => {
    const known = new Set(SETTING_NAMES);
    expect(sorted(settingLookalikes(read(file)).filter((name) => !known.has(name)))).toEqual([]);
  });
});

describe('README length', () => {
  it(`stays within ${MAX_README_LINES} lines (wc -l)`, () => {
    const lines = read('README.md').split('\n').length - 1;
    expect(lines).toBeLessThanOrEqual(MAX_README_LINES);
  });
});

/** GitHub's anchor for a heading: lower-cased, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Markdown without fenced code blocks and inline code, where brackets are not links. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  for (const match of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(match[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

describe('relative links', () => {
  it.each(documentationFiles())(
    'every relative link in %s leads to a file (and heading) that exists',
    (file) => {
      const path = join(ROOT, file);
      const broken: string[] = [];
      for (const match of prose(readFileSync(path, 'utf8')).matchAll(
        /\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g,
      )) {
        const target = match[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue;
        const [pathPart, anchor] = target.split('#', 2);
        const resolved = pathPart === '' ? path : resolve(dirname(path), decodeURIComponent(pathPart));
        if (!resolved.startsWith(ROOT) || !existsSync(resolved)) {
          broken.push(`${target} (no file ${relative(ROOT, resolved)})`);
          continue;
        }
        if (
          anchor &&
          statSync(resolved).isFile() &&
          resolved.endsWith('.md') &&
          !anchors(resolved).has(anchor)
        ) {
          broken.push(`${target} (no heading #${anchor})`);
        }
      }
      expect(broken).toEqual([]);
    },
  );
});
