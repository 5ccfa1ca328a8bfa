/**
 * If: runs one of two subgraphs on a boolean condition. torch's export of
 * LocalResponseNorm uses one (squeeze the pooled channel axis, or not). The
 * branches read the enclosing graph's values by name and run synchronously.
 */
import { runStepsSync } from '../../nn/forward-steps.js';
import type { CompileContext, CompiledOp } from './op.js';
import { requireInput } from './op.js';

export function compileIf({ attributes, label, compileSubgraph, node }: CompileContext): CompiledOp {
  const thenBranch = compileSubgraph(attributes.graph('then_branch'));
  const elseBranch = compileSubgraph(attributes.graph('else_branch'));
  for (const [name, branch] of [
    ['then_branch', thenBranch],
    ['else_branch', elseBranch],
  ] as const) {
    if (branch.outputs.length !== node.outputs.length)
      throw new Error(`${label}: ${name} has ${branch.outputs.length} outputs, the node ${node.outputs.length}`);
    if (branch.inputs.length !== 0) throw new Error(`${label}: ${name} declares inputs; If's branches take none`);
  }
  return {
    kind: 'function',
    outerReads: new Set([...thenBranch.outerReads, ...elseBranch.outerReads]),
    run(inputs, scope) {
      const condition = requireInput(inputs, 0, label, 'cond');
      if (condition.numel !== 1) throw new Error(`${label}: cond must hold one value, got ${condition.numel}`);
      const branch = condition.numberAt(0) !== 0 ? thenBranch : elseBranch;
      const results = runStepsSync(branch.execute(new Map(), scope));
      return branch.outputs.map((o) => results.get(o.name)!);
    },
  };
}
