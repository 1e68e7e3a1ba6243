// deploy/kubernetes and the Dockerfile HEALTHCHECK, checked by reading them
// and by running mirrorgate on exactly the files they mount.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { settingsFrom } from '../../src/config/settings.js';
import { loadRules } from '../../src/config/load-rules.js';
import { startProxy } from '../../src/cli/start-proxy.js';
import { createLogger } from '../../src/observability/logger.js';
import { resolve } from '../../src/core/index.js';
import { parse as parseToml } from 'smol-toml';

type Doc = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };
const docs: Doc[] = readdirSync('deploy/kubernetes')
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join('deploy/kubernetes', f), 'utf8')).map((d) => d.toJS() as Doc));
const byKind = (kind: string, name?: string) => docs.find((d) => d.kind === kind && (name === undefined || d.metadata.name === name)) as Doc;

/** The settings and rules ConfigMaps written out as the Deployment mounts them. */
function mountedFiles(): string {
  const root = mkdtempSync(join(tmpdir(), 'mirrorgate-k8s-'));
  writeFileSync(join(root, 'mirrorgate.toml'), byKind('ConfigMap', 'mirrorgate-settings').data?.['mirrorgate.toml'] as string);
  mkdirSync(join(root, 'rules'));
  for (const [name, text] of Object.entries(byKind('ConfigMap', 'mirrorgate-rules').data ?? {})) writeFileSync(join(root, 'rules', name), text);
  return root;
}

describe('deploy/kubernetes', () => {
  const deployment = byKind('Deployment');
  const container = deployment.spec.template.spec.containers[0];
  const port = (name: string) => container.ports.find((p: { name: string }) => p.name === name).containerPort;

  it('has a Deployment of 2+ replicas with probes and resources, a Service, a PodDisruptionBudget and the ConfigMaps', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'ConfigMap', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Service']);
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
    const selector = deployment.spec.selector.matchLabels;
    expect(deployment.spec.template.metadata.labels).toMatchObject(selector);
    expect(byKind('Service').spec.selector).toEqual(selector);
    expect(byKind('PodDisruptionBudget').spec.selector.matchLabels).toEqual(selector);
    expect(byKind('PodDisruptionBudget').spec.minAvailable).toBeLessThan(deployment.spec.replicas);
  });

  it('kustomization.yaml lists every manifest in the directory', () => {
    const listed = (parseAllDocuments(readFileSync('deploy/kubernetes/kustomization.yaml', 'utf8'))[0]?.toJS() as { resources: string[] }).resources;
    expect([...listed].sort()).toEqual(readdirSync('deploy/kubernetes').filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort());
  });

  it('a NetworkPolicy admits ingress to the pods only on their named ports, the admin port from monitoring too', () => {
    const policy = byKind('NetworkPolicy');
    expect(policy.spec.podSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    const rules = policy.spec.ingress as { from: Record<string, unknown>[]; ports: { port: string }[] }[];
    const containerPorts = container.ports.map((p: { name: string }) => p.name);
    for (const rule of rules) {
      expect(rule.from.length, 'an empty from admits everyone').toBeGreaterThan(0);
      for (const { port } of rule.ports) expect(containerPorts).toContain(port);
    }
    const openTo = (port: string) => rules.filter((r) => r.ports.some((p) => p.port === port)).flatMap((r) => r.from.map((f) => Object.keys(f)[0]));
    expect(openTo('registry')).toEqual(['ipBlock']);
    expect(openTo('admin').sort()).toEqual(['ipBlock', 'namespaceSelector']);
  });

  it('the settings it mounts are valid and listen on the container ports', () => {
    const toml = parseToml(byKind('ConfigMap', 'mirrorgate-settings').data?.['mirrorgate.toml'] as string);
    const settings = settingsFrom(toml, {}, '/etc/mirrorgate', 'mirrorgate.toml');
    expect(settings.listen[0]?.port).toBe(port('registry'));
    expect(settings.adminListen[0]?.port).toBe(port('admin'));
    expect(container.args).toEqual(['serve', '--config', '/etc/mirrorgate/mirrorgate.toml']);
    expect(settings.rulePaths).toEqual(['/etc/mirrorgate/rules']);
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env.MIRRORGATE_SERVER_LISTEN).toBe((toml.server as { listen: string[] }).listen[0]);
  });

  it('the rules it mounts load and resolve', async () => {
    const rules = await loadRules([join(mountedFiles(), 'rules')]);
    const plan = resolve('quay.io/openshift-release-dev/ocp-release@sha256:3f1fa1ee2ab2e7f2b0bd9c2e2fa2e2a0d9d8c8f6c0a1f4b5d0a7b1e2c3d4e5f6', rules);
    expect(plan.endpoints[0]?.reference).toContain('registry.internal.example:5000/openshift/release-images@');
  });

  it('mirrorgate on exactly those files answers the probes on the admin port, not on the registry port', async () => {
    const root = mountedFiles();
    const toml = parseToml(readFileSync(join(root, 'mirrorgate.toml'), 'utf8'));
    const settings = settingsFrom(toml, { MIRRORGATE_SERVER_LISTEN: '127.0.0.1:0', MIRRORGATE_ADMIN_LISTEN: '127.0.0.1:0' }, root, 'mirrorgate.toml');
    const proxy = await startProxy(settings, { log: createLogger('silent'), watch: false });
    try {
      for (const path of ['/readyz', '/healthz', '/metrics', '/status']) {
        const res = await request(`${proxy.adminUrls[0]}${path}`);
        await res.body.dump();
        expect(res.statusCode, path).toBe(200);
      }
      const onRegistryPort = await request(`${proxy.urls[0]}/metrics`);
      await onRegistryPort.body.dump();
      expect(onRegistryPort.statusCode).toBe(404);
    } finally {
      await proxy.close();
    }
  });
});

describe('Dockerfile HEALTHCHECK', () => {
  const line = readFileSync('Dockerfile', 'utf8').split('\n').find((l) => l.trim().startsWith('CMD ["node", "-e"')) as string;
  const [, , script] = JSON.parse(line.trim().slice(4)) as string[];
  const check = (listen: string) =>
    new Promise<number>((done) => execFile(process.execPath, ['-e', script as string], { env: { ...process.env, MIRRORGATE_SERVER_LISTEN: listen }, timeout: 10_000 }, (err) => done(err ? ((err as { code?: number }).code ?? 1) : 0)));

  it('exits 0 against a serving mirrorgate and 1 against a dead port', async () => {
    const root = mountedFiles();
    const settings = settingsFrom({ server: { listen: ['127.0.0.1:0'] }, rules: { paths: ['rules'] } }, {}, root, 't');
    const proxy = await startProxy(settings, { log: createLogger('silent'), watch: false });
    try {
      expect(await check(proxy.urls[0]?.replace('http://', '') as string)).toBe(0);
    } finally {
      await proxy.close();
    }
    expect(await check('127.0.0.1:1')).toBe(1);
  });
});
