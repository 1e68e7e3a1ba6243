// Property tests for the settings parse path: any TOML text, any table
// shape and any MIRRORGATE_* variable give Settings or InvalidSettingsError.
import fc from 'fast-check';
import { stringify as toToml } from 'smol-toml';
import { describe, it } from 'vitest';
import { InvalidSettingsError, settingsFrom, settingsFromText } from '../../../src/config/settings.js';
import { SETTINGS, envName } from '../../../src/config/settings-schema.js';
import { RUNS, textOver, typedOnly } from './arbitraries.js';

const sections = [...Object.keys(SETTINGS), 'endpoint_timeouts', 'bogus'];
const keys = [...new Set(Object.values(SETTINGS).flatMap((s) => Object.keys(s))), 'connect_timeout_ms', 'nope'];
const scalar = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.string({ maxLength: 12 }), fc.constantFrom('127.0.0.1:0', '[::1]:5000', 'a=b', 'off'), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }));
const table = fc.dictionary(fc.constantFrom(...keys), fc.oneof(scalar, fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 3 })), { maxKeys: 6 });
const doc = fc.dictionary(fc.constantFrom(...sections), fc.oneof({ weight: 4, arbitrary: table }, scalar), { maxKeys: 5 });
const env = fc.dictionary(
  fc.constantFrom(...Object.entries(SETTINGS).flatMap(([section, ks]) => Object.keys(ks).map((k) => envName(section, k)))),
  fc.oneof(fc.string({ maxLength: 16 }), fc.constantFrom('true', '-1', '0', '99999999999999999999', 'a=b,c', ',,')),
  { maxKeys: 3 },
);

describe('fuzz: settings', () => {
  it('any table and environment give Settings or InvalidSettingsError', () => {
    fc.assert(fc.property(doc, env, (d, e) => void typedOnly(() => settingsFrom(d, e, '/etc/mirrorgate', 'f.toml'), InvalidSettingsError)), RUNS);
  });

  it('any text, or any table written as TOML, gives Settings or InvalidSettingsError', () => {
    const asToml = doc.map((d) => {
      try {
        return toToml(d);
      } catch {
        return ''; // not every table can be written as TOML (NaN keys, mixed arrays in old versions)
      }
    });
    const text = fc.oneof(asToml, textOver('[]=."\'#\nabcdeflmnoprstu_0123456789 ', 160));
    fc.assert(fc.property(text, env, (t, e) => void typedOnly(() => settingsFromText(t, e, '/etc/mirrorgate', 'f.toml'), InvalidSettingsError)), RUNS);
  });
});
