import * as z from 'zod';

/**
 * The `promotion` section of `sentinel.config.yml`. Spread {@link promotionConfigShape} into the top-level
 * strict object. Where each environment lives (account, Region, the role to assume there) and whether it needs
 * approval are written on the environment itself (`environments[]`, src/config/schema.ts).
 *
 * ```yaml
 * promotion:
 *   maxScanAgeDays: 7      # a scan older than this can't vouch for an image
 *   approvalTtlHours: 72   # a pending approval expires after this
 *   allowSkip: false       # --from may name an environment earlier than the previous one
 *   copyReferrers: true    # copy signatures and SBOMs (artifacts whose subject is the image) along
 * ```
 */

/** Defaults, the one home of each. */
export const PROMOTION_DEFAULTS = {
  maxScanAgeDays: 7,
  approvalTtlHours: 72,
  allowSkip: false,
  copyReferrers: true,
} as const;

const promotionSchema = z.strictObject({
  /** The newest completed scan of the digest must be at most this old. */
  maxScanAgeDays: z.number().int().min(1).max(365).default(PROMOTION_DEFAULTS.maxScanAgeDays),
  /** A promotion pending approval for longer expires (and is then refused). */
  approvalTtlHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(PROMOTION_DEFAULTS.approvalTtlHours),
  /** Whether `--from` may skip environments (dev → prod); refused when false. */
  allowSkip: z.boolean().default(PROMOTION_DEFAULTS.allowSkip),
  /** Copy the artifacts whose `subject` is the image (signatures, SBOMs) with it. */
  copyReferrers: z.boolean().default(PROMOTION_DEFAULTS.copyReferrers),
});

/** Spread into the configuration's top-level object. */
export const promotionConfigShape = {
  promotion: promotionSchema.default({ ...PROMOTION_DEFAULTS }),
};

/** The validated `promotion` section. */
export type PromotionSettings = z.output<typeof promotionSchema>;
