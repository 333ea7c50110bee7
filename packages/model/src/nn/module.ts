// Modules: objects that own named parameters (trainable) and buffers (fixed state that a
// checkpoint must keep, such as a permutation), and child modules. Names compose with dots —
// `encoder.conv1.weight` — so checkpoints read like PyTorch state dicts.
import * as T from '@maga/tensor';

export abstract class Module {
  private readonly ownParameters = new Map<string, T.Tensor>();
  private readonly ownBuffers = new Map<string, T.Tensor>();
  private readonly children = new Map<string, Module>();

  /** Registers a trainable parameter (kept out of scopes, requires gradients). */
  protected parameter(name: string, value: T.Tensor): T.Tensor {
    this.checkName(name);
    T.keep(value).requireGrad();
    this.ownParameters.set(name, value);
    return value;
  }

  /** Registers fixed state that is saved and loaded with the parameters but never trained. */
  protected buffer(name: string, value: T.Tensor): T.Tensor {
    this.checkName(name);
    T.keep(value);
    this.ownBuffers.set(name, value);
    return value;
  }

  protected child<M extends Module>(name: string, module: M): M {
    this.checkName(name);
    this.children.set(name, module);
    return module;
  }

  private checkName(name: string): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`module: invalid name '${name}'`);
    if (this.ownParameters.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw new Error(`module: '${name}' is registered twice`);
    }
  }

  /** Trainable parameters by dotted name. */
  parameters(prefix = ''): Map<string, T.Tensor> {
    const out = new Map<string, T.Tensor>();
    this.collect(prefix, out, 'parameters');
    for (const [name, t] of out) t.name = name;
    return out;
  }

  /** Buffers by dotted name. */
  buffers(prefix = ''): Map<string, T.Tensor> {
    const out = new Map<string, T.Tensor>();
    this.collect(prefix, out, 'buffers');
    return out;
  }

  /** Everything a checkpoint holds: parameters and buffers. */
  state(): Map<string, T.Tensor> {
    return new Map([...this.parameters(), ...this.buffers()]);
  }

  private collect(prefix: string, out: Map<string, T.Tensor>, kind: 'parameters' | 'buffers'): void {
    const own = kind === 'parameters' ? this.ownParameters : this.ownBuffers;
    for (const [name, t] of own) out.set(prefix + name, t);
    for (const [name, m] of this.children) m.collect(`${prefix}${name}.`, out, kind);
  }

  /** Number of trainable scalars. */
  parameterCount(): number {
    let n = 0;
    for (const t of this.parameters().values()) n += t.size;
    return n;
  }

  /** Called after weights are loaded from a checkpoint (e.g. to mark data-dependent init done). */
  onLoaded(): void {
    for (const m of this.children.values()) m.onLoaded();
  }

  dispose(): void {
    for (const t of this.ownParameters.values()) t.dispose();
    for (const t of this.ownBuffers.values()) t.dispose();
    for (const m of this.children.values()) m.dispose();
  }
}
