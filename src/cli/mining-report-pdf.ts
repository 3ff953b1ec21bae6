/**
 * A mining venture's report as a PDF (pdfkit, standard fonts): the per-site rows and the partner
 * statements of app/mining/report.ts, one line each. Plain, for printing; the CSV and JSON carry
 * the same figures for machines.
 */
import PDFDocument from 'pdfkit';
import { formatBtc } from '../core/money.ts';
import type { VentureReport } from '../app/mining/report.ts';
import { pdfText } from '../adapters/report/pdf-statement.ts';

const money = (v: bigint | null, c: string | null): string => (v === null || c === null ? '-' : `${v < 0n ? '-' : ''}${(v < 0n ? -v : v) / 100n}.${((v < 0n ? -v : v) % 100n).toString().padStart(2, '0')} ${c}`);

/** Render the report to PDF bytes (`generatedAt` is printed and is the PDF's creation date). */
export function renderMiningReportPdf(r: VentureReport, generatedAt = new Date()): Promise<Buffer> {
  const pdf = new PDFDocument({ size: 'A4', layout: 'landscape', margin: 36, info: { Title: pdfText(`${r.venture.name}: mining report`), Author: 'Soberana', CreationDate: generatedAt } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (c: Buffer) => chunks.push(c));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  pdf.font('Helvetica-Bold').fontSize(15).text(pdfText(`${r.venture.name}: mining report`));
  pdf.font('Helvetica').fontSize(8).text(pdfText(`Generated ${generatedAt.toISOString()} by Soberana. Payouts are measured on chain; energy cost is modelled (fleet x efficiency x uptime x tariff); forecast from the network history at height ${r.model.network?.height ?? '-'}.`));
  pdf.moveDown();
  pdf.font('Helvetica-Bold').fontSize(10).text('Sites and periods');
  pdf.font('Helvetica').fontSize(8);
  for (const x of r.rows) {
    pdf.text(pdfText(`${x.period}  site ${x.siteId ?? 'unattributed'}  ${x.fleetThs ?? '-'} TH/s  payouts ${x.payouts}  actual ${formatBtc(x.actualSats)} BTC  forecast ${x.forecastSats === null ? '-' : `${formatBtc(x.forecastSats)} BTC`}  revenue ${money(x.revenue, x.currency)}  energy ${money(x.energyCost, x.currency)}  margin ${money(x.margin, x.currency)}`));
  }
  pdf.moveDown();
  pdf.font('Helvetica-Bold').fontSize(10).text('Partner statements');
  pdf.font('Helvetica').fontSize(8);
  if (r.statements.length === 0) pdf.text('No distributions yet.');
  for (const s of r.statements) {
    pdf.text(pdfText(`${s.period}  ${s.partner} (${s.name})  gross ${formatBtc(s.grossSats)}  fee ${formatBtc(s.feeSats)}  paid ${formatBtc(s.netSats)} BTC  to ${s.address}  ${s.txid ?? `proposal ${String(s.proposalId)}`}`));
  }
  pdf.end();
  return done;
}
