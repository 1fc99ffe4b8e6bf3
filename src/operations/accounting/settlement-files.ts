import { writeCsv } from '../csv/csv';
import { writeXlsx, type Cell } from '../xlsx/xlsx';
import type { SettlementLine, SettlementReport } from './settlement';

const HOUR = 3_600_000;

const COLUMNS = [
  'buildingId',
  'name',
  'street',
  'community',
  'state',
  'devices',
  'onlineHours',
  'countedHours',
  'excludedHours',
  'onlineRatePercent',
  'thresholdMet',
  'serviceShare',
  'pointsBelow',
  'baseRent',
  'deduction',
  'rentDue',
] as const;

const hours = (ms: number) => Math.round((ms / HOUR) * 1000) / 1000;
const percent = (rate: number | null) => (rate === null ? null : Math.round(rate * 1_000_000) / 10_000);
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const yesNo = (met: boolean | null) => (met === null ? 'n/a' : met ? 'yes' : 'no');

/**
 * Text that a spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe in
 * the CSV: the file is opened in Excel by the finance office (OWASP "CSV injection").
 */
function inertText(text: string | null): string | null {
  return text !== null && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function lineValues(l: SettlementLine): Array<string | number | null> {
  return [
    inertText(l.buildingId),
    inertText(l.name),
    inertText(l.street),
    inertText(l.community),
    l.state,
    l.devices,
    hours(l.onlineMs),
    hours(l.countedMs),
    hours(l.excludedMs),
    percent(l.onlineRate),
    yesNo(l.thresholdMet),
    round(l.serviceShare, 6),
    round(l.pointsBelow, 4),
    l.baseRent.toFixed(2),
    l.deduction.toFixed(2),
    l.rentDue.toFixed(2),
  ];
}

/**
 * The settlement as CSV for the finance office: one row per building, then a TOTAL row; hours
 * to the thousandth, the rate in percent to 4 decimals, amounts in yuan to the fen.
 */
export function settlementCsv(report: SettlementReport): string {
  const t = report.totals;
  const rows: Array<Array<string | number | null>> = [[...COLUMNS], ...report.lines.map(lineValues)];
  rows.push(['TOTAL', report.month, '', '', '', t.devices, '', '', '', percent(t.onlineRate), `${t.buildingsBelowThreshold} below`, '', '', t.baseRent.toFixed(2), t.deduction.toFixed(2), t.rentDue.toFixed(2)]);
  return writeCsv(rows);
}

/** The same as a workbook: Settlement (rows and total), Summary (month, rules, totals), Exclusions. */
export function settlementXlsx(report: SettlementReport): Buffer {
  const head = (names: readonly string[]): Cell[] => names.map((value) => ({ value, style: 'header' }));
  const t = report.totals;
  const lines: Cell[][] = [head(COLUMNS)];
  for (const l of report.lines) {
    const cells: Cell[] = lineValues(l);
    // Inline strings in a workbook are never formulas: the names go in as they are.
    cells[0] = l.buildingId;
    cells[1] = l.name;
    cells[2] = l.street;
    cells[3] = l.community;
    cells[9] = { value: l.onlineRate, style: 'percent' };
    cells[13] = { value: l.baseRent, style: 'amount' };
    cells[14] = { value: l.deduction, style: 'amount' };
    cells[15] = { value: l.rentDue, style: 'amount' };
    lines.push(cells);
  }
  lines.push([
    { value: 'TOTAL', style: 'header' },
    report.month,
    null,
    null,
    null,
    t.devices,
    null,
    null,
    null,
    { value: t.onlineRate, style: 'percent' },
    `${t.buildingsBelowThreshold} below`,
    null,
    null,
    { value: t.baseRent, style: 'amount' },
    { value: t.deduction, style: 'amount' },
    { value: t.rentDue, style: 'amount' },
  ]);
  const r = report.rules;
  const summary: Cell[][] = [
    head(['item', 'value']),
    ['month', report.month],
    ['timezone', report.timezone],
    ['from (UTC)', new Date(report.from).toISOString()],
    ['to (UTC)', new Date(report.to).toISOString()],
    ['complete month', report.complete ? 'yes' : 'no: provisional, up to the time above'],
    ['price per set (yuan)', { value: r.pricePerSet, style: 'amount' }],
    ['threshold', { value: r.threshold, style: 'percent' }],
    [`deduction per point (${r.deductionUnit === 'percent' ? '% of price' : 'yuan'})`, r.deductionPerPoint],
    ['floor (yuan)', { value: r.floor, style: 'amount' }],
    ['buildings', t.buildings],
    ['buildings rated', t.buildingsRated],
    ['buildings below threshold', t.buildingsBelowThreshold],
    ['devices', t.devices],
    ['district online rate', { value: t.onlineRate, style: 'percent' }],
    ['base rent (yuan)', { value: t.baseRent, style: 'amount' }],
    ['deduction (yuan)', { value: t.deduction, style: 'amount' }],
    ['rent due (yuan)', { value: t.rentDue, style: 'amount' }],
  ];
  const exclusions: Cell[][] = [head(['buildingId', 'deviceId', 'kind', 'reason', 'from (UTC)', 'to (UTC)', 'hours'])];
  for (const l of report.lines) {
    for (const e of l.exclusions) {
      exclusions.push([e.buildingId, e.deviceId ?? null, e.kind, e.reason, new Date(e.from).toISOString(), new Date(e.to).toISOString(), hours(e.to - e.from)]);
    }
  }
  return writeXlsx([
    { name: `Settlement ${report.month}`, rows: lines, widths: [16, 20, 14, 14, 10, 8, 12, 12, 12, 12, 12, 12, 11, 10, 10, 10] },
    { name: 'Summary', rows: summary, widths: [32, 28] },
    { name: 'Exclusions', rows: exclusions, widths: [16, 22, 16, 24, 26, 26, 10] },
  ]);
}
