/**
 * What other capabilities use of the inventory: whether a repository scans on push, and starting a scan when
 * nothing does. Capabilities import the inventory only from here.
 */
export { ecrRegistry, ecrRegistryPermissions, scanClientConfig } from './ecr-registry.ts';
export type { ImageRegistry } from './ports.ts';
export { type ScanSettings, scanDecision } from './scanning.ts';
