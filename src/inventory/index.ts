/**
 * What other capabilities use of the inventory: reading a repository's scan settings (whether it scans on push:
 * src/shared/ecr/scan-settings.ts decides) and starting a scan when nothing does. Capabilities import the
 * inventory only from here.
 */
export { ecrRegistry, ecrRegistryPermissions, scanClientConfig } from './ecr-registry.ts';
export type { ImageRegistry } from './ports.ts';
