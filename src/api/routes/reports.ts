import { Router } from '@koa/router';
import { z } from 'zod';
import type { AccountingService } from '../../operations/accounting/accounting-service';
import { settlementCsv, settlementXlsx } from '../../operations/accounting/settlement-files';
import { timeParam } from '../params';

const settlementQuery = z.object({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM'),
  format: z.enum(['json', 'csv', 'xlsx']).default('json'),
});

const onlineRateQuery = z
  .object({
    from: timeParam,
    to: timeParam,
    groupBy: z.enum(['device', 'building', 'community', 'street', 'district']).default('building'),
  })
  .refine((q) => q.to > q.from, { message: 'to must be after from', path: ['to'] });

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** /api/v1/reports: online rates for any period and the monthly settlement (JSON, CSV, XLSX). */
export function reportRoutes(accounting: AccountingService): Router {
  const router = new Router();

  router.get('/reports/settlement', async (ctx) => {
    const { month, format } = settlementQuery.parse(ctx.query);
    const report = await accounting.settlement(month);
    if (format === 'csv') {
      ctx.type = 'text/csv; charset=utf-8';
      ctx.set('Content-Disposition', `attachment; filename="settlement-${month}.csv"`);
      ctx.body = settlementCsv(report);
    } else if (format === 'xlsx') {
      ctx.type = XLSX_TYPE;
      ctx.set('Content-Disposition', `attachment; filename="settlement-${month}.xlsx"`);
      ctx.body = settlementXlsx(report);
    } else {
      ctx.body = report;
    }
  });

  router.get('/reports/online-rate', async (ctx) => {
    const q = onlineRateQuery.parse(ctx.query);
    ctx.body = await accounting.onlineRate(q.from, q.to, q.groupBy);
  });

  return router;
}
