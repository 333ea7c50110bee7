// C_n, the cyclic group of order n inside SO(2): an element is a step j ∈ {0, …, n − 1}, composed
// modulo n, acting as the rotation by 2πj/n (a digit turned by quarter turns under C_4, or the
// contrast set's n acquisition settings moved round their loop). Its representation is SO(2)'s at
// the angles 2πj/n: ρ(j) = ⊕_b R(k_b·2πj/n). Training draws j uniformly; an evaluation reports per
// element.
//
// One rule for n, wherever a C_n is named (a config's group.n, a label 'c<n>'): 2 ≤ n ≤ 1024.
//   - n ≥ 2: C_1 is the trivial group, under which every pair (x, g·x) is a copy and ρ the identity
//     (the reason a config's frequencies may not all be 0). The data sets used to allow n = 1 while
//     the models refused it; a C_1 run could never be configured, so nothing that worked is lost.
//   - n ≤ 1024: more steps than that are indistinguishable on the data (under 0.35° apart, or
//     contrast settings closer than the images' rounding), and 1024 elements already make a slow
//     per-element evaluation table.
// Labels are written 'c' and n without leading zeros ('c4', not 'C4' or 'c04'): a label is an
// identifier written into config.json and run names, so it has one spelling.
import { CyclicAction } from '../actions.ts';
import { ConfigError, positiveInt } from '../models/config.ts';
import { ValidationError } from '../validate.ts';
import { numbersOf, show, type Group, type GroupKind, type Uniforms, type VectorAction } from './group.ts';
import { cycled, frequenciesLike, parseFrequencies, PlaneGroup } from './so2.ts';

export interface CyclicConfig {
  kind: 'cyclic';
  /** The order: 2 ≤ n ≤ MAX_CYCLIC_ORDER. */
  n: number;
  /** One integer frequency k per varying block, cycled over the blocks; not all 0. */
  frequencies: number[];
}

/** The largest n accepted for C_n (see the top of this file). */
export const MAX_CYCLIC_ORDER = 1024;

const LABEL = /^c([1-9][0-9]*)$/;

export class Cyclic extends PlaneGroup implements Group {
  readonly kind = 'cyclic';
  readonly label: string;
  readonly name: string;
  readonly id: { kind: 'cyclic'; n: number };
  readonly order: number;
  readonly elementText: string;
  readonly buckets: readonly string[];

  constructor(readonly config: CyclicConfig) {
    super();
    const { n } = config;
    this.label = `c${n}`;
    this.name = `C_${n}`;
    this.id = { kind: 'cyclic', n };
    this.order = n;
    this.elementText = `an integer in [0, ${n - 1}]`;
    this.buckets = Array.from({ length: n }, (_, j) => `j=${j}`);
  }

  private isStep(v: unknown): v is number {
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < this.order;
  }

  isElement(g: ArrayLike<number>): boolean {
    return g.length === 1 && this.isStep(g[0]);
  }

  checkElements(values: ArrayLike<number>, where: string): void {
    for (let i = 0; i < values.length; i++) {
      if (!this.isStep(values[i])) throw new Error(`${where}: g[${i}] = ${values[i]} is not an integer in [0, ${this.order}) (an element of ${this.name})`);
    }
  }

  describeElement(): string {
    return `${this.elementText} (an element of ${this.name})`;
  }

  parseElement(value: unknown, at: string): number[] {
    const g = numbersOf(value, 1);
    if (!g || !this.isStep(g[0])) throw new ValidationError(`${at} must be ${this.describeElement()}, got ${show(value)}`, at);
    return g;
  }

  formatElement(g: ArrayLike<number>): string {
    const j = g[0];
    return `j = ${j} (${j === 0 ? 'e' : `${((360 * j) / this.order).toFixed(0)}° / step ${j}`} of ${this.name})`;
  }

  identity(): number[] {
    return [0];
  }

  private wrap(j: number): number {
    return ((j % this.order) + this.order) % this.order;
  }

  compose(g2: ArrayLike<number>, g1: ArrayLike<number>): number[] {
    return [this.wrap(g2[0] + g1[0])];
  }

  inverse(g: ArrayLike<number>): number[] {
    return [this.wrap(-g[0])];
  }

  /** j uniform in {0, …, n − 1}. */
  sample(uniforms: Uniforms): number[] {
    return [uniforms.integer(this.order)];
  }

  /** The rotation by 2πj/n. */
  planeAngle(g: ArrayLike<number>): number {
    return (2 * Math.PI * g[0]) / this.order;
  }

  get planeTurn(): number {
    return (2 * Math.PI) / this.order;
  }

  isIdentity(g: ArrayLike<number>): boolean {
    return this.wrap(g[0]) === 0;
  }

  bucketOf(g: ArrayLike<number>): number {
    return g[0];
  }

  /** Bucket j holds the element j alone. */
  sampleInBucket(bucket: number): number[] {
    return [bucket];
  }

  sweepRefusal(decodeRoute: string): string {
    const last = this.order - 1;
    return `traverse sweeps a continuous code, but this run's group ${this.name} has the elements 0–${last} only: decode each with ${decodeRoute} { g: [0, …, ${last}] }`;
  }

  /** Every element, up to 12. */
  figureElements(): number[][] {
    return Array.from({ length: Math.min(this.order, 12) }, (_, j) => [j]);
  }

  /** A cycle through the group. */
  turnElements(): number[][] {
    return Array.from({ length: this.order }, (_, j) => [j]);
  }

  vectorAction(invariant: number, blocks: number): VectorAction {
    return new CyclicAction(this.order, { invariant, frequencies: cycled(this.config.frequencies, blocks) });
  }
}

export const CYCLIC_KIND: GroupKind<CyclicConfig> = {
  kind: 'cyclic',
  labels: 'c<n>',
  description: `a cyclic group C_n, 2 ≤ n ≤ ${MAX_CYCLIC_ORDER}`,
  elementSize: 1,
  claims: (label) => LABEL.test(label),
  fromLabel: (label, like) => ({ kind: 'cyclic', n: Number(LABEL.exec(label)?.[1]), frequencies: frequenciesLike(like) }),
  parse: (g, path) => {
    const frequencies = parseFrequencies(g, path);
    const n = positiveInt(g, path, 'n');
    if (n < 2) throw new ConfigError(`config: ${path}n must be at least 2 for a cyclic group C_n, got ${n} (C_1 is the trivial group: every pair would be a copy)`);
    if (n > MAX_CYCLIC_ORDER) throw new ConfigError(`config: ${path}n must be at most ${MAX_CYCLIC_ORDER} for a cyclic group C_n, got ${n} (neighbouring elements would be indistinguishable)`);
    return { kind: 'cyclic', n, frequencies };
  },
  create: (config) => new Cyclic(config),
};
