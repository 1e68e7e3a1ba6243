// Counters and histograms of the per-request series, registered in a
// prom-client Registry as collectors. prom-client hashes a label object on
// every inc and observe, children included (`labels()` only binds the object),
// and validates it each time: 4 hashes per request, a measurable part of a
// cached manifest request (issue 11). Here a series is found once per label
// tuple and then counted by plain field updates. The exposition is
// prom-client's own (its Registry formats what `getForPromString` and `get`
// return, in the shape its Counter and Histogram return), so /metrics says
// the same for the same observations:
// test/unit/edges/tallies.test.ts holds the text to prom-client's.
import type { Registry } from 'prom-client';

/** A counted value as prom-client's Registry reads it. */
interface Sample {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName?: string;
  readonly sharedLabels?: Record<string, string>;
  /** prom-client's buckets carry one (null without exemplars); kept so `get()` matches its JSON. */
  readonly exemplar?: null;
}

interface Exported {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly values: Sample[];
  readonly aggregator: 'sum';
}

interface Options {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly registers: readonly Registry[];
}

/** One label tuple's values; `dead` once the metric was reset (its child then takes a new one, as prom-client would). */
interface Series {
  readonly labels: Record<string, string>;
  dead: boolean;
}

/** The series of one metric by label tuple, in the order first counted (prom-client's order). */
abstract class Tally<S extends Series> {
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  /** As prom-client's metrics have them (read by the deploy test of the alert rules). */
  readonly labelNames: readonly string[];
  protected series = new Map<string, S>();

  constructor(
    options: Options,
    readonly type: 'counter' | 'histogram',
  ) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** The series of `values` (in labelNames order), made on first use. */
  protected seriesOf(key: string, values: readonly string[]): S {
    let s = this.series.get(key);
    if (s === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
      s = this.made(labels);
      this.series.set(key, s);
    }
    return s;
  }

  /** The key of a label tuple: values joined by a byte no label value here holds. */
  protected keyOf(values: readonly string[]): string {
    if (values.length !== this.labelNames.length) throw new Error(`${this.name}: expected labels ${this.labelNames.join(', ')}`);
    return values.join('\u0000');
  }

  reset(): void {
    for (const s of this.series.values()) s.dead = true;
    this.series = new Map();
  }

  async get(): Promise<Exported> {
    return this.exported(false);
  }

  async getForPromString(): Promise<Exported> {
    return this.exported(true);
  }

  private exported(shared: boolean): Exported {
    const values: Sample[] = [];
    for (const s of this.series.values()) this.samples(s, shared, values);
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  protected abstract made(labels: Record<string, string>): S;
  protected abstract samples(s: S, shared: boolean, into: Sample[]): void;
}

interface CounterSeries extends Series {
  value: number;
}

export interface CounterChild {
  inc(): void;
}

export class LabelledCounter extends Tally<CounterSeries> {
  constructor(options: Options) {
    super(options, 'counter');
  }

  labels(...values: string[]): CounterChild {
    const key = this.keyOf(values);
    let s: CounterSeries | undefined;
    return {
      inc: () => {
        if (s === undefined || s.dead) s = this.seriesOf(key, values);
        s.value += 1;
      },
    };
  }

  protected made(labels: Record<string, string>): CounterSeries {
    return { labels, dead: false, value: 0 };
  }

  protected samples(s: CounterSeries, _shared: boolean, into: Sample[]): void {
    into.push({ value: s.value, labels: s.labels });
  }
}

interface HistogramSeries extends Series {
  /** Observations per bucket, not cumulative; the last one is above every bound (+Inf only). */
  readonly buckets: number[];
  sum: number;
  count: number;
}

export interface HistogramChild {
  observe(value: number): void;
}

export class LabelledHistogram extends Tally<HistogramSeries> {
  private readonly bounds: readonly number[];

  constructor(options: Options & { readonly buckets: readonly number[] }) {
    super(options, 'histogram');
    this.bounds = [...options.buckets].sort((a, b) => a - b);
  }

  labels(...values: string[]): HistogramChild {
    const key = this.keyOf(values);
    let s: HistogramSeries | undefined;
    return {
      observe: (value) => {
        if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
        if (s === undefined || s.dead) s = this.seriesOf(key, values);
        let i = 0;
        while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
        s.buckets[i] = (s.buckets[i] as number) + 1;
        s.sum += value;
        s.count += 1;
      },
    };
  }

  protected made(labels: Record<string, string>): HistogramSeries {
    return { labels, dead: false, buckets: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
  }

  /** As prom-client's Histogram: cumulative buckets, +Inf, _sum, _count; for the text, the series labels shared. */
  protected samples(s: HistogramSeries, shared: boolean, into: Sample[]): void {
    const labelled = (own: Record<string, string | number>) => (shared ? { labels: own, sharedLabels: s.labels } : { labels: { ...own, ...s.labels } });
    const bucket = `${this.name}_bucket`;
    let acc = 0;
    this.bounds.forEach((le, i) => {
      acc += s.buckets[i] as number;
      into.push({ value: acc, metricName: bucket, exemplar: null, ...labelled({ le }) });
    });
    into.push({ value: s.count, metricName: bucket, exemplar: null, ...labelled({ le: '+Inf' }) });
    into.push({ value: s.sum, metricName: `${this.name}_sum`, ...labelled({}) });
    into.push({ value: s.count, metricName: `${this.name}_count`, ...labelled({}) });
  }
}
