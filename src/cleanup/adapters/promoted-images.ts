import type { Promotion, PromotionReader, Release } from '../../promotion/index.ts';
import { type CleanedRegistry, usesOf } from '../domain/image-uri.ts';
import type { ImageUse, ProtectionSignal, SignalDoubt } from '../ports.ts';
import { doubtOf } from './signal-doubt.ts';

const SIGNAL = 'promotions';

/**
 * Promotions of one application read to find the previous ones of each environment, newest first. The store
 * answers at most this many; an application with more promotions than that (most of them failed or refused)
 * has its oldest completed ones unprotected, which only matters past `previous` anyway.
 */
const HISTORY_LIMIT = 500;

/** What {@link promotedImages} needs besides the store. */
export interface PromotedImagesOptions {
  /** The applications whose promotions count (sentinel.config.yml `applications`). */
  readonly applications: readonly string[];
  /** How many COMPLETED promotions before the current one, per environment, stay protected (rollback targets). */
  readonly previous: number;
  /** The account and Region being cleaned: promotions into another Region protect nothing here. */
  readonly registry: CleanedRegistry;
}

// The store's own adapter declares its IAM actions (dynamoPromotionReaderPermissions); this one calls no AWS API.
type Reading = PromotionReader;

/** The use a promotion's target image makes, or undefined when its target is in another Region. */
function useOf(promotion: Promotion, registry: CleanedRegistry, reason: string): ImageUse | undefined {
  if (promotion.to.region !== registry.region) return undefined;
  return {
    repositoryName: promotion.to.repositoryName,
    ...(promotion.to.accountId === registry.accountId ? {} : { registryId: promotion.to.accountId }),
    digest: promotion.digest,
    reason,
  };
}

/**
 * The `promotions` protection signal: for each application, the image each environment runs now (its release:
 * the digest of its last completed promotion) and the `previous` completed promotions before it in that
 * environment, newest first, each on the promotion's target repository. A promoted image must not vanish
 * from the environment it was promoted to, nor the ones a rollback would return to.
 */
export function promotedImages(store: Reading, options: PromotedImagesOptions): ProtectionSignal {
  const { registry, previous } = options;
  return {
    name: SIGNAL,
    async read({ repositories }) {
      const uses: ImageUse[] = [];
      const doubts: SignalDoubt[] = [];
      for (const app of options.applications) {
        try {
          const [releases, history] = await Promise.all([
            store.releases(app),
            store.list({ app, limit: HISTORY_LIMIT }),
          ]);
          const completed = history.filter((p) => p.status === 'COMPLETED');
          for (const release of releases) {
            const current =
              completed.find((p) => p.id === release.promotionId) ?? (await store.get(release.promotionId));
            if (current !== undefined) {
              const use = useOf(current, registry, currentReason(release));
              if (use) uses.push(use);
            }
            const before = completed
              .filter((p) => p.to.environment === release.environment && p.id !== release.promotionId)
              .filter((p) => (p.completedAt ?? p.updatedAt) <= release.promotedAt)
              .slice(0, previous);
            before.forEach((p, index) => {
              const reason = `promoted: ${app} ${release.environment} previous ${index + 1} (promotion ${p.id})`;
              const use = useOf(p, registry, reason);
              if (use) uses.push(use);
            });
          }
        } catch (error) {
          doubts.push(doubtOf(SIGNAL, `the promotions of ${app}`, error));
        }
      }
      return { uses: usesOf(uses, repositories), doubts };
    },
  };
}

function currentReason(release: Release): string {
  return `promoted: ${release.app} ${release.environment} current (promotion ${release.promotionId})`;
}
