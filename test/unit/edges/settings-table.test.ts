// The README settings table is the one written from the declarations; run with
// MIRRORGATE_UPDATE_README=1 to rewrite it after adding or changing a key.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settingsTable } from '../../../src/config/settings-table.js';
import { SETTINGS } from '../../../src/config/settings-schema.js';

const BEGIN = '<!-- settings table: written from src/config/settings-schema.ts; MIRRORGATE_UPDATE_README=1 npx vitest run test/unit/edges/settings-table.test.ts rewrites it -->';
const END = '<!-- end of settings table -->';

describe('README settings table', () => {
  it('is the table written from the declarations', () => {
    const readme = readFileSync('README.md', 'utf8');
    const [before, rest] = readme.split(`${BEGIN}\n`) as [string, string | undefined];
    expect(rest, `README.md lacks the marker ${BEGIN}`).toBeDefined();
    const after = (rest as string).slice((rest as string).indexOf(END));
    const expected = `${before}${BEGIN}\n${settingsTable()}\n${after}`;
    if (process.env.MIRRORGATE_UPDATE_README === '1') writeFileSync('README.md', expected);
    expect(readme).toBe(expected);
  });

  it('has a row for every key, with its environment variable', () => {
    const table = settingsTable();
    for (const [section, keys] of Object.entries(SETTINGS)) {
      for (const name of Object.keys(keys)) expect(table).toContain(`| \`${section}.${name}\` |`);
    }
    expect(table).toContain('(`MIRRORGATE_UPSTREAM_CONNECT_TIMEOUT_MS`)');
  });
});
