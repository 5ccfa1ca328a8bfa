/** A node's attributes, read with the type the operator expects and a default where ONNX gives one. */
import type { AttributeValue, OnnxGraphProto } from '../model-proto.js';
import type { TensorProtoMessage } from '../tensor-proto.js';

type ValueOf<K extends AttributeValue['kind']> = Extract<AttributeValue, { kind: K }>['value'];

export class NodeAttributes {
  private readonly read = new Set<string>();

  constructor(
    private readonly values: ReadonlyMap<string, AttributeValue>,
    private readonly label: string,
  ) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  int(name: string, fallback?: number): number {
    return this.get(name, 'int', fallback);
  }

  float(name: string, fallback?: number): number {
    const value = this.values.get(name);
    // Some exporters write a float attribute as an int; both mean the same number.
    if (value?.kind === 'int') {
      this.read.add(name);
      return value.value;
    }
    return this.get(name, 'float', fallback);
  }

  string(name: string, fallback?: string): string {
    return this.get(name, 'string', fallback);
  }

  ints(name: string, fallback?: number[]): number[] {
    return this.get(name, 'ints', fallback);
  }

  floats(name: string, fallback?: number[]): number[] {
    return this.get(name, 'floats', fallback);
  }

  tensor(name: string): TensorProtoMessage {
    return this.get(name, 'tensor', undefined);
  }

  graph(name: string): OnnxGraphProto {
    return this.get(name, 'graph', undefined);
  }

  /** Names present on the node that the operator never read: a sign the file uses a feature we would silently ignore. */
  unread(): string[] {
    return [...this.values.keys()].filter((name) => !this.read.has(name));
  }

  /** Marks attributes as accepted without reading them (documented no-ops, e.g. Dropout's seed). */
  ignore(...names: string[]): void {
    for (const name of names) this.read.add(name);
  }

  private get<K extends AttributeValue['kind']>(name: string, kind: K, fallback: ValueOf<K> | undefined): ValueOf<K> {
    this.read.add(name);
    const value = this.values.get(name);
    if (value === undefined) {
      if (fallback === undefined) throw new Error(`${this.label}: required attribute '${name}' is missing`);
      return fallback;
    }
    if (value.kind !== kind) throw new Error(`${this.label}: attribute '${name}' must be ${kind}, got ${value.kind}`);
    return value.value as ValueOf<K>;
  }
}
