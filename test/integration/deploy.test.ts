// deploy/kubernetes (the base and its overlays, rendered by `kubectl kustomize`,
// which works offline) and the Dockerfile HEALTHCHECK, checked by reading them
// and by running mirrorgate on exactly the files they mount.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { settingsFrom } from '../../src/config/settings.js';
import { SETTINGS } from '../../src/config/settings-schema.js';
import { loadRules } from '../../src/config/load-rules.js';
import { startProxy } from '../../src/cli/start-proxy.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { resolve } from '../../src/core/index.js';
import { renderClientRegistriesConf, renderHostsToml } from '../../src/core/render/client-config.js';
import { requireBinary } from '../e2e/support/processes.js';
import { FOLLOWED } from '../../src/cluster/resources.js';
import { makePki } from '../helpers/tls.js';
import { tempDir } from '../helpers/temp.js';

type Doc = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };
type Container = { name: string; image: string; args: string[]; env: { name: string; value?: string }[]; ports: { name: string; containerPort: number }[]; [k: string]: any };

const KUSTOMIZATIONS = ['deploy/kubernetes', 'deploy/kubernetes/overlays/node-local', 'deploy/kubernetes/overlays/nodeport'];
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const GRACE_MS = SETTINGS.server.shutdown_grace_ms.default;

function render(dir: string): Doc[] {
  requireBinary('kubectl', 'kubernetes-client');
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 30_000 });
  return parseAllDocuments(out).map((d) => d.toJS() as Doc);
}

const rendered = Object.fromEntries(KUSTOMIZATIONS.map((dir) => [dir, render(dir)]));
const find = (docs: Doc[], kind: string, name?: string) => docs.find((d) => d.kind === kind && (name === undefined || d.metadata.name === name)) as Doc;
const workload = (docs: Doc[]) => (find(docs, 'Deployment') ?? find(docs, 'DaemonSet')) as Doc;
const containerOf = (docs: Doc[]) => workload(docs).spec.template.spec.containers[0] as Container;
const envOf = (c: Container) => Object.fromEntries(c.env.map((e) => [e.name, e.value ?? '']));
const portOf = (c: Container, name: string) => c.ports.find((p) => p.name === name)?.containerPort;

/** The settings and rules ConfigMaps written out as the workload mounts them. */
function mountedFiles(docs: Doc[]): string {
  const root = tempDir('k8s');
  writeFileSync(join(root, 'mirrorgate.toml'), find(docs, 'ConfigMap', 'mirrorgate-settings').data?.['mirrorgate.toml'] as string);
  mkdirSync(join(root, 'rules'));
  for (const [name, text] of Object.entries(find(docs, 'ConfigMap', 'mirrorgate-rules').data ?? {})) writeFileSync(join(root, 'rules', name), text);
  return root;
}

/** Settings as the container sees them: the mounted file plus the container's environment. */
function containerSettings(docs: Doc[], env: Record<string, string>) {
  const toml = parseToml(find(docs, 'ConfigMap', 'mirrorgate-settings').data?.['mirrorgate.toml'] as string);
  return settingsFrom(toml, env, '/etc/mirrorgate', 'mirrorgate.toml');
}

/** mirrorgate on the mounted files, moved to free loopback ports; the probes answer on the admin port only. */
async function probesAnswerOnAdminPort(docs: Doc[]): Promise<void> {
  const root = mountedFiles(docs);
  const toml = parseToml(readFileSync(join(root, 'mirrorgate.toml'), 'utf8'));
  // The blob cache directory the pod mounts is moved under the test's own temporary root.
  const moved = { MIRRORGATE_SERVER_LISTEN: '127.0.0.1:0', MIRRORGATE_ADMIN_LISTEN: '127.0.0.1:0', MIRRORGATE_CACHE_BLOBS_DIR: join(root, 'blobs') };
  const settings = settingsFrom(toml, moved, root, 'mirrorgate.toml');
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
}

describe.each(KUSTOMIZATIONS)('%s', (dir) => {
  const docs = rendered[dir] as Doc[];
  const container = containerOf(docs);
  const pod = workload(docs).spec.template.spec;

  it('renders one workload with probes on the admin port, resources, the image as built, and matching labels', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
    expect(container.image).toBe(`registry.example.com/platform/mirrorgate:${VERSION}`);
    expect(container.args).toEqual(['serve', '--config', '/etc/mirrorgate/mirrorgate.toml']);
    const selector = workload(docs).spec.selector.matchLabels;
    expect(workload(docs).spec.template.metadata.labels).toMatchObject(selector);
    for (const d of docs.filter((x) => x.kind === 'Service' || x.kind === 'PodDisruptionBudget')) expect(d.spec.selector.matchLabels ?? d.spec.selector).toEqual(selector);
  });

  it('gives in-flight pulls the whole shutdown grace: terminationGracePeriodSeconds > preStop pause + server.shutdown_grace_ms', () => {
    const pause = container.lifecycle.preStop.exec.command as string[];
    expect(pause[0]).toBe('sleep');
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(pause[1]) * 1000 + GRACE_MS);
  });

  it('keeps the blob cache on a writable volume (the root filesystem is read-only)', () => {
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    const { dir } = containerSettings(docs, {}).blobCache;
    expect(dir).not.toBe('');
    const mount = container.volumeMounts.find((m: { mountPath: string }) => dir.startsWith(`${m.mountPath}/`));
    expect(pod.volumes.find((v: { name: string }) => v.name === mount?.name)?.emptyDir).toBeDefined();
  });

  it('keeps the admin port off every Service that pull clients use', () => {
    const services = docs.filter((d) => d.kind === 'Service');
    for (const s of services.filter((x) => x.metadata.name !== 'mirrorgate-admin')) expect(s.spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['registry']);
    expect(find(docs, 'Service', 'mirrorgate-admin').spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['admin']);
  });

  it('the rules it mounts load and resolve', async () => {
    const rules = await loadRules([join(mountedFiles(docs), 'rules')]);
    const plan = resolve('quay.io/openshift-release-dev/ocp-release@sha256:3f1fa1ee2ab2e7f2b0bd9c2e2fa2e2a0d9d8c8f6c0a1f4b5d0a7b1e2c3d4e5f6', rules);
    expect(plan.endpoints[0]?.reference).toContain('registry.internal.example:5000/openshift/release-images@');
  });

  it('mirrorgate on exactly those files answers the probes on the admin port, not on the registry port', async () => {
    await probesAnswerOnAdminPort(docs);
  });
});

describe('the base and overlays/nodeport: a Deployment', () => {
  it.each(['deploy/kubernetes', 'deploy/kubernetes/overlays/nodeport'])('%s: 2+ replicas, a PodDisruptionBudget, settings that listen on the container ports', (dir) => {
    const docs = rendered[dir] as Doc[];
    const container = containerOf(docs);
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'ConfigMap', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'Service']);
    expect(workload(docs).spec.replicas).toBeGreaterThanOrEqual(2);
    expect(find(docs, 'PodDisruptionBudget').spec.minAvailable).toBeLessThan(workload(docs).spec.replicas);
    const settings = containerSettings(docs, envOf(container));
    expect(settings.listen[0]?.port).toBe(portOf(container, 'registry'));
    expect(settings.adminListen[0]?.port).toBe(portOf(container, 'admin'));
    expect(settings.rulePaths).toEqual(['/etc/mirrorgate/rules']);
    // The image sets MIRRORGATE_SERVER_LISTEN, which overrides the file: the two must agree.
    expect(envOf(container).MIRRORGATE_SERVER_LISTEN).toBe(`0.0.0.0:${portOf(container, 'registry')}`);
  });

  it.each(['deploy/kubernetes', 'deploy/kubernetes/overlays/nodeport'])('%s: a NetworkPolicy admits ingress to the pods only on their named ports, from the node network and monitoring', (dir) => {
    const docs = rendered[dir] as Doc[];
    const policy = find(docs, 'NetworkPolicy');
    expect(policy.spec.podSelector.matchLabels).toEqual(workload(docs).spec.selector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    const rules = policy.spec.ingress as { from?: Record<string, unknown>[]; ports: { port: string }[] }[];
    for (const rule of rules) {
      expect(rule.from?.length, 'a rule without from admits everyone').toBeGreaterThan(0);
      for (const { port } of rule.ports) expect(portOf(containerOf(docs), port), port).toBeDefined();
    }
    const openTo = (port: string) => rules.filter((r) => r.ports.some((p) => p.port === port)).flatMap((r) => (r.from ?? []).map((f) => Object.keys(f)[0]));
    expect(openTo('registry')).toEqual(['ipBlock']);
    expect(openTo('admin').sort()).toEqual(['ipBlock', 'namespaceSelector']);
  });

  it('every manifest in base/ is listed in its kustomization.yaml', () => {
    const listed = (parseAllDocuments(readFileSync('deploy/kubernetes/base/kustomization.yaml', 'utf8'))[0]?.toJS() as { resources: string[] }).resources;
    expect([...listed].sort()).toEqual(readdirSync('deploy/kubernetes/base').filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort());
  });

  it('overlays/nodeport exposes the pull port on every node at 30500', () => {
    const service = find(rendered['deploy/kubernetes/overlays/nodeport'] as Doc[], 'Service', 'mirrorgate');
    expect(service.spec.type).toBe('NodePort');
    expect(service.spec.ports).toEqual([{ name: 'registry', port: 5000, targetPort: 'registry', nodePort: 30500 }]);
  });
});

describe('overlays/node-local: a DaemonSet reached on 127.0.0.1 of every node', () => {
  const dir = 'deploy/kubernetes/overlays/node-local';
  const docs = rendered[dir] as Doc[];
  const container = containerOf(docs);
  const pod = workload(docs).spec.template.spec;
  const nodeEnv = { ...envOf(container), MIRRORGATE_ADMIN_LISTEN: envOf(container).MIRRORGATE_ADMIN_LISTEN?.replace('$(NODE_IP)', '10.0.0.7') ?? '' };
  const settings = containerSettings(docs, nodeEnv);

  it('runs on every node on the host network, with no Deployment, pull Service or PodDisruptionBudget', () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(['ConfigMap/mirrorgate-rules', 'ConfigMap/mirrorgate-settings', 'DaemonSet/mirrorgate', 'Service/mirrorgate-admin']);
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
  });

  it('listens on the node loopback only (the image default 0.0.0.0 is overridden), the admin port on the node address', () => {
    expect(settings.listen).toEqual([{ host: '127.0.0.1', port: portOf(container, 'registry') }]);
    expect(envOf(container).MIRRORGATE_SERVER_LISTEN).toBe('127.0.0.1:5000');
    expect(settings.adminListen).toEqual([{ host: '10.0.0.7', port: portOf(container, 'admin') }]);
    expect(container.env.find((e) => e.name === 'NODE_IP')).toEqual({ name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } });
    expect(settings.advertise).toContain('127.0.0.1:5000');
  });

  // MIRRORGATE_UPDATE_NODE_FILES=1 rewrites them (after a change to the rules or the generators).
  it('ships the node files that point the runtimes at 127.0.0.1:5000, as generated from the rules it mounts', async () => {
    const rules = await loadRules([join(mountedFiles(docs), 'rules')]);
    const proxy = new URL('http://127.0.0.1:5000');
    const nodeFiles = join(dir, 'node-files');
    const certsD = join(nodeFiles, 'etc/containerd/certs.d');
    const dropIn = join(nodeFiles, 'etc/containers/registries.conf.d/50-mirrorgate.conf');
    const expected = renderHostsToml(rules, proxy);
    if (process.env.MIRRORGATE_UPDATE_NODE_FILES === '1') {
      rmSync(certsD, { recursive: true, force: true });
      for (const [host, text] of expected) mkdirSync(join(certsD, host), { recursive: true }), writeFileSync(join(certsD, host, 'hosts.toml'), text);
      writeFileSync(dropIn, renderClientRegistriesConf(rules, proxy, settings.aliases));
    }
    expect(readFileSync(dropIn, 'utf8')).toBe(renderClientRegistriesConf(rules, proxy, settings.aliases));
    const shipped = readdirSync(certsD, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(certsD, join(e.parentPath, e.name)));
    expect(shipped.sort()).toEqual([...expected.keys()].map((host) => `${host}/hosts.toml`).sort());
    for (const [host, text] of expected) expect(readFileSync(join(certsD, host, 'hosts.toml'), 'utf8')).toBe(text);
  });
});

describe('overlays/follow-cluster: replicas that follow the cluster with a read-only service account', () => {
  const docs = render('deploy/kubernetes/overlays/follow-cluster');
  const container = containerOf(docs);
  const pod = workload(docs).spec.template.spec;
  const rulesOf = (d: Doc) => (d as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }).rules;

  it('reads its rules from the cluster only (no rule files), as in-cluster', () => {
    const settings = containerSettings(docs, envOf(container));
    expect(settings.kubernetes).toBe('in-cluster');
    expect(settings.rulePaths).toEqual([]);
    expect(pod.serviceAccountName).toBe(find(docs, 'ServiceAccount').metadata.name);
  });

  it('may get, list and watch exactly the kinds it follows, the ConfigMaps of openshift-config only, and nothing else', () => {
    const granted = rulesOf(find(docs, 'ClusterRole')).flatMap((r) => r.resources.map((res) => ({ group: r.apiGroups[0], res, verbs: r.verbs })));
    const clusterScoped = FOLLOWED.filter((f) => f.namespace === undefined).map((f) => ({ group: f.apiVersion.split('/')[0], res: f.plural, verbs: ['get', 'list', 'watch'] }));
    expect(granted.sort((a, b) => a.res.localeCompare(b.res))).toEqual(clusterScoped.sort((a, b) => a.res.localeCompare(b.res)));
    const role = find(docs, 'Role') as Doc & { metadata: { namespace: string } };
    expect(role.metadata.namespace).toBe('openshift-config');
    expect(rulesOf(role)).toEqual([{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }]);
    for (const binding of docs.filter((d) => d.kind.endsWith('RoleBinding')) as (Doc & { subjects: { name: string }[]; roleRef: { name: string } })[]) {
      expect(binding.subjects.map((x) => x.name)).toEqual([pod.serviceAccountName]);
      expect(docs.some((d) => d.kind.endsWith('Role') && !d.kind.endsWith('Binding') && d.metadata.name === binding.roleRef.name)).toBe(true);
    }
  });
});

describe('Dockerfile HEALTHCHECK', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const cmd = JSON.parse(/^\s*CMD (\[.*\])$/m.exec(dockerfile.slice(dockerfile.indexOf('HEALTHCHECK')))?.[1] as string) as string[];
  // The settings file alone decides (no MIRRORGATE_* variables from the test's own environment).
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MIRRORGATE_')));
  const check = (configFile: string) =>
    new Promise<number>((done) =>
      execFile(process.execPath, cmd.slice(1), { env: { ...env, MIRRORGATE_CONFIG: configFile }, timeout: 10_000 }, (err) => done(err ? ((err as { code?: number }).code ?? 1) : 0)),
    );
  /** Starts mirrorgate, then writes a settings file naming the ports it got, as the health check reads it. */
  async function serving(doc: { server: Record<string, unknown>; admin?: Record<string, unknown> }) {
    const root = tempDir('health');
    mkdirSync(join(root, 'rules'));
    const settings = settingsFrom({ ...doc, rules: { paths: ['rules'] } }, {}, root, 't');
    const proxy = await startProxy(settings, { log: createLogger('silent'), watch: false });
    const port = (url: string | undefined) => new URL(url as string).port;
    const written = { server: { ...doc.server, listen: [`0.0.0.0:${port(proxy.urls[0])}`] }, ...(doc.admin ? { admin: { ...doc.admin, listen: [`0.0.0.0:${port(proxy.adminUrls[0])}`] } } : {}), rules: { paths: ['rules'] } };
    const file = join(root, 'mirrorgate.toml');
    writeFileSync(file, Object.entries(written).map(([section, keys]) => `[${section}]\n${Object.entries(keys).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n')}\n`).join('\n'));
    return { file, proxy };
  }

  it('.dockerignore lets in exactly what the Dockerfile copies from the context', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] as string).split(/\s+/));
    const admitted = readFileSync('.dockerignore', 'utf8').split('\n').filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    expect(readFileSync('.dockerignore', 'utf8')).toMatch(/^\*$/m);
    expect(copied.sort()).toEqual(admitted.sort());
  });

  it('pins the base image by digest and labels the image the OCI way', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-bookworm-slim@sha256:[0-9a-f]{64}$/m);
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\}/gm)).toHaveLength(2);
    for (const label of ['title', 'description', 'licenses', 'version', 'revision', 'created', 'base.name']) expect(dockerfile).toContain(`org.opencontainers.image.${label}=`);
  });

  it('runs `mirrorgate healthcheck` with the image settings file, no shell or curl needed', () => {
    expect(cmd.slice(0, 4)).toEqual(['node', 'dist/cli/main.js', 'healthcheck', '--timeout-ms']);
    expect(dockerfile).toMatch(/^ENV MIRRORGATE_CONFIG=\/app\/config\/mirrorgate.toml$/m);
  });

  it.each([
    { name: 'the Kubernetes settings: /healthz on the admin listener (404 on the pull port)', doc: { server: { listen: ['127.0.0.1:0'] }, admin: { listen: ['127.0.0.1:0'] } } },
    { name: 'plain settings: /healthz on the pull listener', doc: { server: { listen: ['127.0.0.1:0'] } } },
    { name: 'TLS on the pull listener', tls: 'server', doc: { server: { listen: ['127.0.0.1:0'] } } },
    { name: 'TLS on the admin listener', tls: 'admin', doc: { server: { listen: ['127.0.0.1:0'] }, admin: { listen: ['127.0.0.1:0'] } } },
  ])('exits 0 for $name, and 1 once mirrorgate is gone', async ({ doc, tls }) => {
    const pki = tls ? makePki() : undefined;
    const files = pki ? { tls_cert: pki.certFile, tls_key: pki.keyFile } : {};
    const { file, proxy } = await serving(tls === 'server' ? { ...doc, server: { ...doc.server, ...files } } : tls === 'admin' ? { ...doc, admin: { ...doc.admin, ...files } } : doc);
    try {
      expect(await check(file)).toBe(0);
    } finally {
      await proxy.close();
    }
    expect(await check(file)).toBe(1);
  });
});

describe('deploy/kubernetes/monitoring', () => {
  const dir = 'deploy/kubernetes/monitoring';
  const monitoring: Doc[] = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Doc));
  const rule = monitoring.find((d) => d.kind === 'PrometheusRule') as Doc;
  const alerts = (rule.spec.groups as { rules: { alert: string; expr: string }[] }[]).flatMap((g) => g.rules);
  const metrics = new Metrics({ snapshot: () => [] }, { version: 't', maxEndpoints: 10, wallClock: () => 0 });

  it('has a ServiceMonitor that scrapes /metrics on the admin Service only', () => {
    const monitor = monitoring.find((d) => d.kind === 'ServiceMonitor') as Doc;
    const services = rendered['deploy/kubernetes']?.filter((d) => d.kind === 'Service') ?? [];
    const selected = services.filter((d) => Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => d.metadata.labels?.[k] === v));
    expect(selected.map((d) => d.metadata.name)).toEqual(['mirrorgate-admin']);
    const service = selected[0] as Doc;
    expect(monitor.spec.selector.matchLabels).toEqual(service.metadata.labels);
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(monitor.spec.endpoints[0].port);
    expect(monitor.spec.endpoints[0].path).toBe('/metrics');
    const kustomization = parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]?.toJS() as { resources: string[] };
    expect(kustomization.resources.sort()).toEqual(readdirSync(dir).filter((f) => f !== 'kustomization.yaml').sort());
  });

  it('alerts on a mirror down, all mirrors failing, source fallback rate, cache hit ratio, a failed reload and a failing auth file', () => {
    expect(alerts.map((a) => a.alert)).toEqual(['MirrorgateMirrorDown', 'MirrorgateAllMirrorsFailing', 'MirrorgateSourceFallbackHigh', 'MirrorgateCacheHitRatioLow', 'MirrorgateRulesReloadFailed', 'MirrorgateAuthFileFailing']);
  });

  it('every metric and label an alert names exists in the registry', () => {
    for (const { alert, expr } of alerts) {
      const uses = [...expr.matchAll(/\b((?:mirrorgate|process|nodejs)_\w+)(?:\{([^}]*)\})?/g)];
      expect(uses.length, alert).toBeGreaterThan(0);
      for (const [, series, selector] of uses) {
        const name = (series as string).replace(/_(bucket|sum|count)$/, '');
        const metric = metrics.registry.getSingleMetric(name) ?? metrics.registry.getSingleMetric(series as string);
        expect(metric, `${alert}: ${series}`).toBeDefined();
        const labels = [...(selector ?? '').matchAll(/(\w+)\s*[=!~]/g)].map((m) => m[1]);
        const known = (metric as unknown as { labelNames: string[] }).labelNames;
        for (const label of labels) expect(known, `${alert}: ${series}{${label}}`).toContain(label);
      }
    }
  });

  it('the README lists every metric mirrorgate exports and every alert', () => {
    const readme = readFileSync('README.md', 'utf8');
    const own = metrics.registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name).filter((n) => n.startsWith('mirrorgate_'));
    expect(own.length).toBeGreaterThan(20);
    expect(own.filter((n) => !readme.includes(`\`${n}\``))).toEqual([]);
    expect(alerts.filter((a) => !readme.includes(a.alert)).map((a) => a.alert)).toEqual([]);
  });
});
