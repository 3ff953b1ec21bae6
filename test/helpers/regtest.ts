/**
 * One embedded regtest node per test file (or per describe): started before the tests, stopped after.
 *
 * @example
 *   const regtest = useRegtestNode();
 *   before(async () => { const node = await regtest.ready(); await node.mine(101); });
 *   test('mines', async () => { await regtest.node().mine(1); });
 *
 * Use `ready()` in hooks: Node 20 may run a file's root-level `before` hooks without waiting for
 * one another, so `node()` could be called before the start finished; `ready()` waits for it.
 */
import { after, before } from 'node:test';
import { startRegtestNode, type RegtestNode, type StartRegtestOptions } from '../../src/adapters/chain/regtest-node.ts';

export interface RegtestFixture {
  /** The running node (throws if it has not started yet: in hooks, use `ready()`). */
  node(): RegtestNode;
  /** Starts the node if needed and resolves when it is running. */
  ready(): Promise<RegtestNode>;
}

export function useRegtestNode(opts: StartRegtestOptions = {}): RegtestFixture {
  let node: RegtestNode | undefined;
  let starting: Promise<RegtestNode> | undefined;
  const ready = (): Promise<RegtestNode> => {
    starting ??= startRegtestNode(opts).then((n) => {
      node = n;
      return n;
    });
    return starting;
  };
  before(async () => {
    await ready();
  });
  after(async () => {
    if (starting) await (await starting.catch(() => undefined))?.stop();
  });
  return {
    node() {
      if (!node) throw new Error('useRegtestNode: the node has not started yet (in a hook, await ready())');
      return node;
    },
    ready,
  };
}
