// Requests refused whatever their parameters: tag lists of registries the
// rules refuse (even n=0), and methods other than GET/HEAD on admin paths.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()));
});
const proxy = async (rules: Record<string, string>, upstream: Record<string, unknown> = {}, sections: Record<string, Record<string, unknown>> = {}): Promise<TestProxy> => {
  const p = await startTestProxy(rules, upstream, sections);
  cleanup.push(() => p.close());
  return p;
};
const blocked = (host: string) => `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    blockedRegistries: ["${host}"]\n`;

describe('tag lists of refused registries', () => {
  it.each([
    ['not named by the rules', () => ({ 'r.yaml': mirrorRules('named.example.com/ns', [], [])['rules.yaml'] as string }), 'unnamed.example.com'],
    ['blocked', () => ({ 'image.yaml': blocked('blocked.example.com') }), 'blocked.example.com'],
  ])('are DENIED for a registry %s, whatever n asks', async (_name, rules, registry) => {
    const p = await proxy(rules(), { aliases: { r: registry } });
    for (const query of ['?n=0', '?n=5', '', '?n=0&last=a']) {
      const res = await p.get(`/v2/r/ns/app/tags/list${query}`);
      expect(res.status, query).toBe(403);
      expect(JSON.parse(res.body.toString())).toMatchObject({ errors: [{ code: 'DENIED' }] });
    }
  });
});

describe('admin paths', () => {
  const methods = ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

  it.each([
    ['on the registry listener', false],
    ['on a separate admin listener', true],
  ])('answer methods other than GET and HEAD with 405 and Allow %s', async (_name, separate) => {
    const p = await proxy(mirrorRules('src.example.com/ns', [], []), {}, separate ? { admin: { listen: ['127.0.0.1:0'] } } : {});
    const base = separate ? (p.proxy.adminUrls[0] as string) : p.url;
    for (const path of ['/healthz', '/readyz', '/metrics', '/status']) {
      for (const method of methods) {
        const res = await request(`${base}${path}`, { method });
        await res.body.dump();
        expect(res.statusCode, `${method} ${path}`).toBe(405);
        expect(res.headers.allow).toBe('GET, HEAD');
      }
      const get = await request(`${base}${path}`);
      await get.body.dump();
      expect(get.statusCode).toBe(200);
    }
  });
});
