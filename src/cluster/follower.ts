// Follows the rule kinds on a Kubernetes/OpenShift API server with list and
// watch, so that replicas behind one Service share the cluster's rule set and
// keep no state of their own. Each resource is one client-node ListWatch: it
// lists, then watches from the list's resourceVersion; when a watch ends it
// resumes from the last resourceVersion it saw, and relists on 410 Gone
// (client-node cache.js `doneHandler`). When a list or watch fails, the
// objects already known stay (the last good rules) and the resource is
// restarted after a bounded backoff; the failure shows in status().
import { CoreV1Api, CustomObjectsApi, KubeConfig, ListWatch, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { GuardedWatch, guardedList, type GuardOptions } from './guarded.js';
import { FOLLOWED, type FollowedResource, collectionPath } from './resources.js';

export interface FollowedObject {
  readonly kind: string;
  readonly name: string;
  /** The object as the API server holds it, with apiVersion and kind always set. */
  readonly object: Record<string, unknown>;
}

interface ResourceStatus {
  readonly kind: string;
  /** Listed at least once since start. */
  readonly synced: boolean;
  /** The API server does not serve this resource (404): followed as empty, looked for again later. */
  readonly absent: boolean;
  /** The failure that stopped the list or watch, until it runs again. */
  readonly error?: string;
}

export interface FollowerStatus {
  readonly server: string;
  /** Every resource listed at least once: the rules are the cluster's. */
  readonly synced: boolean;
  /** No resource currently failing. */
  readonly connected: boolean;
  readonly resources: readonly ResourceStatus[];
}

export interface FollowerOptions {
  /** A kubeconfig path, or `in-cluster` for the pod's service account. */
  readonly kubeconfig: string;
  /** Called (debounced) whenever the followed objects change. */
  readonly onChange: () => void;
  /** Called when a resource fails or recovers, for logs. */
  readonly onStatus?: (kind: string, error: string | undefined) => void;
  /** Called when something the API server sent was ignored (an object without a name, a failed event), for logs. */
  readonly onProblem?: (problem: string) => void;
  readonly retryMs?: { readonly min: number; readonly max: number };
  readonly debounceMs?: number;
  /** A list, or a watch's response headers, not there by then is a failure (default 10 s). */
  readonly deadlineMs?: number;
}

const DEFAULT_RETRY = { min: 500, max: 30_000 };

interface Followed {
  readonly resource: FollowedResource;
  readonly informer: ListWatch<KubernetesObject>;
  synced: boolean;
  absent: boolean;
  error?: string;
  failures: number;
  retry?: NodeJS.Timeout;
}

function loadKubeConfig(kubeconfig: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfig === 'in-cluster') kc.loadFromCluster();
  else kc.loadFromFile(kubeconfig);
  return kc;
}

export class ClusterFollower {
  private readonly followed: Followed[];
  private readonly server: string;
  private debounce?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: FollowerOptions) {
    const kc = loadKubeConfig(options.kubeconfig);
    this.server = kc.getCurrentCluster()?.server ?? '(no cluster in the kubeconfig)';
    const guard: GuardOptions = {
      retryMs: options.retryMs ?? DEFAULT_RETRY,
      deadlineMs: options.deadlineMs ?? 10_000,
      healthyMs: 30_000,
      report: (problem) => options.onProblem?.(problem),
    };
    const lists = listFunctions(kc);
    const watch = new GuardedWatch(kc, guard);
    this.followed = FOLLOWED.map((resource) => this.follow(resource, new ListWatch(collectionPath(resource), watch, guardedList(lists(resource), guard), false)));
  }

  /** Starts every list and watch; resolves once each resource has been listed or has failed once. */
  async start(): Promise<void> {
    await Promise.all(this.followed.map((f) => this.run(f)));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.debounce);
    for (const f of this.followed) {
      clearTimeout(f.retry);
      void f.informer.stop();
    }
  }

  /** Every followed object now, in a stable order (kind, then name). */
  objects(): FollowedObject[] {
    return this.followed.flatMap(({ resource, informer }) =>
      informer
        .list(resource.namespace)
        .map((o) => toFollowed(resource, o))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    );
  }

  status(): FollowerStatus {
    const resources = this.followed.map(({ resource, synced, absent, error }) => ({ kind: resource.kind, synced, absent, ...(error === undefined ? {} : { error }) }));
    return { server: this.server, synced: resources.every((r) => r.synced), connected: resources.every((r) => r.error === undefined), resources };
  }

  private follow(resource: FollowedResource, informer: ListWatch<KubernetesObject>): Followed {
    const f: Followed = { resource, informer, synced: false, absent: false, failures: 0 };
    const changed = () => this.changed();
    informer.on('add', changed);
    informer.on('update', changed);
    informer.on('delete', changed);
    informer.on('error', (err: unknown) => this.failed(f, err));
    return f;
  }

  private async run(f: Followed): Promise<void> {
    if (this.stopped) return;
    const failures = f.failures;
    // start() returns once the list is done and the watch is open, or after the failure handler ran.
    await f.informer.start();
    if (f.failures === failures) this.recovered(f);
  }

  private recovered(f: Followed): void {
    const wasFailing = f.error !== undefined || !f.synced || f.absent;
    f.synced = true;
    f.absent = false;
    f.failures = 0;
    if (f.error !== undefined) {
      f.error = undefined;
      this.options.onStatus?.(f.resource.kind, undefined);
    }
    if (wasFailing) this.changed();
  }

  private failed(f: Followed, err: unknown): void {
    if (this.stopped) return;
    const code = (err as { code?: number; statusCode?: number }).code ?? (err as { statusCode?: number }).statusCode;
    if (code === 404) {
      // Not served (no such CRD on this cluster): nothing to follow, which is a complete answer.
      const first = !f.synced;
      f.absent = true;
      f.synced = true;
      f.error = undefined;
      if (first) this.changed();
    } else {
      const error = describe(err);
      // Reported when it starts or changes, not at every retry.
      if (error !== f.error) this.options.onStatus?.(f.resource.kind, error);
      f.error = error;
    }
    f.failures++;
    const { min, max } = this.options.retryMs ?? DEFAULT_RETRY;
    const delay = f.absent ? max : Math.min(max, min * 2 ** Math.min(f.failures - 1, 16));
    clearTimeout(f.retry);
    f.retry = setTimeout(() => void this.run(f), delay);
    f.retry.unref();
  }

  private changed(): void {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.options.onChange(), this.options.debounceMs ?? 100);
    this.debounce.unref();
  }
}

/** List functions per resource: the custom-objects API for the OpenShift kinds, core v1 for ConfigMaps. */
function listFunctions(kc: KubeConfig): (r: FollowedResource) => () => Promise<KubernetesListObject<KubernetesObject>> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  return (r) => {
    if (r.namespace !== undefined) return () => core.listNamespacedConfigMap({ namespace: r.namespace as string }) as Promise<KubernetesListObject<KubernetesObject>>;
    const [group, version] = r.apiVersion.split('/') as [string, string];
    return () => custom.listClusterCustomObject({ group, version, plural: r.plural }) as Promise<KubernetesListObject<KubernetesObject>>;
  };
}

/** Typed clients drop apiVersion and kind from list items, and hold dates as Date: plain JSON, kind set. */
function toFollowed(resource: FollowedResource, o: KubernetesObject): FollowedObject {
  const object = JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
  object.apiVersion = resource.apiVersion;
  object.kind = resource.kind;
  return { kind: resource.kind, name: o.metadata?.name ?? '', object };
}

function describe(err: unknown): string {
  const e = err as { code?: number; statusCode?: number; message?: string };
  const status = e.code ?? e.statusCode;
  const first = (e.message ?? String(err)).split('\n')[0] ?? '';
  return typeof status === 'number' ? `HTTP ${status}: ${first.slice(0, 200)}` : first.slice(0, 200);
}
