import type { Migration } from '../migrator.ts';
import { m0001Settings } from './0001-settings.ts';
import { m0002Vaults } from './0002-vaults.ts';
import { m0003Spending } from './0003-spending.ts';
import { m0004ApiTokens } from './0004-api-tokens.ts';
import { m0005GovernanceIntegrity } from './0005-governance-integrity.ts';
import { m0006ApprovalSignatures } from './0006-approval-signatures.ts';
import { m0007TokensIssuedToMembers } from './0007-tokens-issued-to-members.ts';
import { m0008TokenEnrolments } from './0008-token-enrolments.ts';
import { m0009Accounting } from './0009-accounting.ts';
import { m0010ProofOfReserves } from './0010-proof-of-reserves.ts';
import { m0011Compliance } from './0011-compliance.ts';
import { m0012AccountingLedger } from './0012-accounting-ledger.ts';
import { m0014MiningVentures } from './0014-mining-ventures.ts';
import { m0015PublicDailyAggregates } from './0015-public-daily-aggregates.ts';
import { m0013Settlement } from './0013-settlement.ts';
import { m0017SettlementOnchain } from './0017-settlement-onchain.ts';
import { m0018SettlementOnchainRecovery } from './0018-settlement-onchain-recovery.ts';

/**
 * Every migration, in order. Add a file `NNNN-what.ts` and one line here, and bring the table
 * interfaces in ../schema.ts up to date (test/store-schema.test.ts compares them with the database).
 * Reserved numbers: 2 vaults & sync, 3 spending & policy & audit, 4 API tokens, 5 governance integrity (coin holds, sequences), 6 approval signatures and governed members, 7 tokens issued to members, 8 token enrolments, 9 accounting (purchase records, cost-basis methods), 10 proof of reserves (proof rounds, approvals, partials, challenges), 12 accounting ledger (stored ledger entries, cost-method changes).
 */
export const MIGRATIONS: readonly Migration[] = [m0001Settings, m0002Vaults, m0003Spending, m0004ApiTokens, m0005GovernanceIntegrity, m0006ApprovalSignatures, m0007TokensIssuedToMembers, m0008TokenEnrolments, m0009Accounting, m0010ProofOfReserves, m0011Compliance, m0012AccountingLedger, m0013Settlement, m0014MiningVentures, m0015PublicDailyAggregates, m0017SettlementOnchain, m0018SettlementOnchainRecovery];
