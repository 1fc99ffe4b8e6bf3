import { z } from 'zod';

const intFrom = (def: number, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((v) => v ?? def);

const boolParam = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1'));

/** A time as ISO 8601 or epoch milliseconds. */
export const timeParam = z
  .string()
  .transform((v, ctx) => {
    const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time or epoch milliseconds' });
      return z.NEVER;
    }
    return ms;
  });

export const gbIdParam = z.string().regex(/^\d{20}$/, 'must be a 20-digit GB/T 28181 ID');

export const pagingParams = {
  offset: intFrom(0, 0, Number.MAX_SAFE_INTEGER),
  limit: intFrom(50, 1, 1000),
};

export const deviceListQuery = z.object({
  ...pagingParams,
  online: boolParam,
  type: z.string().regex(/^\d{3}$/, 'must be a 3-digit type code').optional(),
  keyword: z.string().max(100).optional(),
});

export const channelListQuery = z.object({
  ...pagingParams,
  deviceId: gbIdParam.optional(),
  parentId: z.string().max(64).optional(),
  status: z.enum(['ON', 'OFF', 'UNKNOWN']).optional(),
  keyword: z.string().max(100).optional(),
  includeMissing: boolParam,
});

export const eventQuery = z.object({
  from: timeParam.optional(),
  to: timeParam.optional(),
  type: z.enum(['online', 'offline']).optional(),
  limit: intFrom(1000, 1, 10000),
});

/** Longest time range one RecordInfo query may ask a device about. */
export const MAX_DEVICE_RECORDING_RANGE_MS = 31 * 24 * 3600 * 1000;

export const deviceRecordingQuery = z
  .object({
    start: timeParam,
    end: timeParam,
    type: z.enum(['all', 'time', 'alarm', 'manual']).optional(),
    deviceId: gbIdParam.optional(),
  })
  .refine((q) => q.end > q.start, { message: 'end must be after start', path: ['end'] })
  .refine((q) => q.end - q.start <= MAX_DEVICE_RECORDING_RANGE_MS, { message: 'the range must not exceed 31 days', path: ['end'] });

const charset = z
  .string()
  .regex(/^(gb2312|gbk|gb18030|utf-8|utf8)$/i, 'must be GB2312, GBK, GB18030 or UTF-8')
  .nullable();

export const deviceCreateBody = z.object({
  deviceId: gbIdParam,
  name: z.string().max(128).nullable().optional(),
  password: z.string().min(1).max(64).nullable().optional(),
  charset: charset.optional(),
});

export const devicePatchBody = deviceCreateBody.omit({ deviceId: true }).strict();

/** Removes undefined entries so the result fits exactOptionalPropertyTypes-style consumers. */
export function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
