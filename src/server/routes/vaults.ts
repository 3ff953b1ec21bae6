/**
 * Operator reads over the vault store port (the same data as `soberana balance`, `utxos`,
 * `history` and `addresses`): any token role may read them, the public may not.
 */
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../core/errors.ts';
import { formatBtc } from '../../core/money.ts';
import type { Vault } from '../../core/vault/types.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import type { ApiRoute } from '../registry.ts';
import { satsString } from '../schemas.ts';

const amount = { type: 'object', required: ['sats', 'btc'], properties: { sats: satsString, btc: { type: 'string' } } } as const;
const vaultParam = { type: 'object', required: ['vault'], properties: { vault: { type: 'string', minLength: 1, maxLength: 100, description: 'vault id or name' } } } as const;
const height = { type: ['integer', 'null'] } as const;

const vaultSchema = {
  type: 'object',
  required: ['id', 'name', 'kind', 'network', 'descriptor', 'threshold', 'keys', 'birthdayHeight', 'gapLimit', 'createdAt', 'syncedHeight', 'confirmed', 'unconfirmed'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string', enum: ['descriptor', 'addresses'] },
    network: { type: 'string' },
    descriptor: { type: ['string', 'null'] },
    threshold: { type: ['integer', 'null'] },
    keys: {
      type: 'array',
      items: {
        type: 'object',
        required: ['position', 'fingerprint', 'originPath', 'xpub', 'holder'],
        properties: {
          position: { type: 'integer' },
          fingerprint: { type: ['string', 'null'] },
          originPath: { type: ['string', 'null'] },
          xpub: { type: ['string', 'null'] },
          holder: { type: ['string', 'null'], description: 'the institution holding this key' },
        },
      },
    },
    birthdayHeight: { type: 'integer' },
    gapLimit: { type: 'integer' },
    createdAt: { type: 'string' },
    syncedHeight: height,
    confirmed: amount,
    unconfirmed: amount,
  },
} as const;

function amt(sats: bigint): { sats: string; btc: string } {
  return { sats: sats.toString(), btc: formatBtc(sats) };
}

export function vaultRoutes(store: VaultStore): ApiRoute[] {
  const find = async (req: FastifyRequest): Promise<Vault> => {
    const { vault } = req.params as { vault: string };
    const v = await store.findVault(vault);
    if (!v) throw new DomainError('VAULT_NOT_FOUND', `no vault with the id or name "${vault}"`);
    return v;
  };
  const describe = async (v: Vault): Promise<Record<string, unknown>> => {
    const [b, cp] = await Promise.all([store.balance(v.id), store.tipCheckpoint(v.id)]);
    return {
      id: v.id,
      name: v.name,
      kind: v.kind,
      network: v.network,
      descriptor: v.descriptor,
      threshold: v.threshold,
      keys: v.keys.map((k) => ({ position: k.position, fingerprint: k.fingerprint, originPath: k.originPath, xpub: k.xpub, holder: k.holder })),
      birthdayHeight: v.birthdayHeight,
      gapLimit: v.gapLimit,
      createdAt: v.createdAt,
      syncedHeight: cp?.height ?? null,
      confirmed: amt(b.confirmed),
      unconfirmed: amt(b.unconfirmed),
    };
  };
  const tag = 'vaults';
  return [
    {
      method: 'GET',
      path: '/vaults',
      permission: 'reserve.read',
      tag,
      summary: 'Every vault with its keys, sync height and balance',
      schema: { response: { 200: { type: 'object', required: ['vaults'], properties: { vaults: { type: 'array', items: vaultSchema } } } } },
      async handler() {
        return { vaults: await Promise.all((await store.listVaults()).map(describe)) };
      },
    },
    {
      method: 'GET',
      path: '/balance',
      permission: 'reserve.read',
      tag,
      summary: 'Confirmed and unconfirmed balance per vault and in total (as "soberana balance --json")',
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['vaults', 'total'],
            properties: {
              vaults: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'name', 'network', 'syncedHeight', 'confirmed', 'unconfirmed'],
                  properties: { id: { type: 'string' }, name: { type: 'string' }, network: { type: 'string' }, syncedHeight: height, confirmed: amount, unconfirmed: amount },
                },
              },
              total: { type: 'object', required: ['confirmed', 'unconfirmed'], properties: { confirmed: amount, unconfirmed: amount } },
            },
          },
        },
      },
      async handler() {
        const rows = await Promise.all((await store.listVaults()).map(async (v) => ({ v, b: await store.balance(v.id), cp: await store.tipCheckpoint(v.id) })));
        const confirmed = rows.reduce((s, r) => s + r.b.confirmed, 0n);
        const unconfirmed = rows.reduce((s, r) => s + r.b.unconfirmed, 0n);
        return {
          vaults: rows.map((r) => ({ id: r.v.id, name: r.v.name, network: r.v.network, syncedHeight: r.cp?.height ?? null, confirmed: amt(r.b.confirmed), unconfirmed: amt(r.b.unconfirmed) })),
          total: { confirmed: amt(confirmed), unconfirmed: amt(unconfirmed) },
        };
      },
    },
    {
      method: 'GET',
      path: '/vaults/:vault',
      permission: 'reserve.read',
      tag,
      summary: 'One vault with its keys, sync height and balance',
      schema: { params: vaultParam, response: { 200: vaultSchema } },
      async handler(req: FastifyRequest) {
        return describe(await find(req));
      },
    },
    {
      method: 'GET',
      path: '/vaults/:vault/utxos',
      permission: 'reserve.read',
      tag,
      summary: 'Unspent outputs of a vault',
      schema: {
        params: vaultParam,
        response: {
          200: {
            type: 'object',
            required: ['utxos'],
            properties: {
              utxos: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['txid', 'vout', 'value', 'address', 'branch', 'index', 'height', 'frozen'],
                  properties: {
                    txid: { type: 'string' }, vout: { type: 'integer' }, value: satsString, address: { type: ['string', 'null'] },
                    branch: { type: 'integer' }, index: { type: 'integer' }, height, frozen: { type: 'boolean' },
                  },
                },
              },
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        const v = await find(req);
        const [utxos, addrs] = await Promise.all([store.unspentTxos(v.id), store.addresses(v.id)]);
        const byScript = new Map(addrs.map((a) => [a.script, a.address]));
        return {
          utxos: utxos
            .filter((u) => u.spentTxid === null)
            .map((u) => ({ txid: u.txid, vout: u.vout, value: u.value.toString(), address: byScript.get(u.script) ?? null, branch: u.branch, index: u.index, height: u.height, frozen: u.frozen })),
        };
      },
    },
    {
      method: 'GET',
      path: '/vaults/:vault/history',
      permission: 'reserve.read',
      tag,
      summary: 'Transactions of a vault, newest first, with labels and categories',
      schema: {
        params: vaultParam,
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 5000, default: 100 } } },
        response: {
          200: {
            type: 'object',
            required: ['transactions'],
            properties: {
              transactions: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['txid', 'height', 'time', 'confirmations', 'net', 'received', 'spent', 'fee', 'category', 'label'],
                  properties: {
                    txid: { type: 'string' }, height, time: { type: ['integer', 'null'] }, confirmations: { type: 'integer' },
                    net: satsString, received: satsString, spent: satsString, fee: { ...satsString, type: ['string', 'null'] },
                    category: { type: ['string', 'null'] }, label: { type: ['string', 'null'] },
                  },
                },
              },
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        const v = await find(req);
        const { limit } = req.query as { limit: number };
        const [txs, labels, tip] = await Promise.all([store.transactions(v.id), store.labels(), store.tipCheckpoint(v.id)]);
        const txLabels = new Map(labels.filter((l) => l.type === 'tx').map((l) => [l.ref, l.label]));
        return {
          transactions: txs.slice(0, limit).map((t) => ({
            txid: t.txid,
            height: t.height,
            time: t.blockTime,
            confirmations: t.height === null || !tip ? 0 : tip.height - t.height + 1,
            net: (t.received - t.spent).toString(),
            received: t.received.toString(),
            spent: t.spent.toString(),
            fee: t.fee === null ? null : t.fee.toString(),
            category: t.category,
            label: txLabels.get(t.txid) ?? null,
          })),
        };
      },
    },
    {
      method: 'GET',
      path: '/vaults/:vault/addresses',
      permission: 'reserve.read',
      tag,
      summary: 'Addresses of a vault, used and unused, with balances',
      schema: {
        params: vaultParam,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { branch: { type: 'string', enum: ['receive', 'change'], default: 'receive' }, used: { type: 'boolean' } },
        },
        response: {
          200: {
            type: 'object',
            required: ['addresses'],
            properties: {
              addresses: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['index', 'branch', 'address', 'scriptPubKey', 'used', 'reserved', 'balance'],
                  properties: {
                    index: { type: 'integer' }, branch: { type: 'integer' }, address: { type: 'string' }, scriptPubKey: { type: 'string' },
                    used: { type: 'boolean' }, reserved: { type: 'boolean' }, balance: satsString,
                  },
                },
              },
            },
          },
        },
      },
      async handler(req: FastifyRequest) {
        const v = await find(req);
        const q = req.query as { branch: 'receive' | 'change'; used?: boolean };
        const [txos, addrs] = await Promise.all([store.allTxos(v.id), store.addresses(v.id)]);
        const bal = new Map<string, bigint>();
        for (const t of txos) if (t.spentTxid === null || t.spentHeight === null) bal.set(t.script, (bal.get(t.script) ?? 0n) + t.value);
        return {
          addresses: addrs
            .filter((a) => a.branch === (q.branch === 'change' ? 1 : 0))
            .filter((a) => q.used === undefined || a.used === q.used)
            .map((a) => ({ index: a.index, branch: a.branch, address: a.address, scriptPubKey: a.script, used: a.used, reserved: a.reserved, balance: (bal.get(a.script) ?? 0n).toString() })),
        };
      },
    },
  ];
}
