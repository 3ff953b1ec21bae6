/**
 * One embedded regtest node per test file: started before the file's tests, stopped after.
 *
 * @example
 *   const regtest = useRegtestNode();
 *   test('mines', async () => { await regtest.node().mine(1); });
 */
import { after, before } from 'node:test';
import { startRegtestNode, type RegtestNode, type StartRegtestOptions } from '../../src/adapters/chain/regtest-node.ts';

export interface RegtestFixture {
  /** The running node (throws if called outside the tests, before it started). */
  node(): RegtestNode;
}

export function useRegtestNode(opts: StartRegtestOptions = {}): RegtestFixture {
  let node: RegtestNode | undefined;
  before(async () => {
    node = await startRegtestNode(opts);
  });
  after(async () => {
    await node?.stop();
  });
  return {
    node() {
      if (!node) throw new Error('useRegtestNode: the node is not started (call node() inside a test)');
      return node;
    },
  };
}
