import type {
  CreateRepositoryCreationTemplateRequest,
  CreateRepositoryRequest,
  PutImageTagMutabilityRequest,
  PutLifecyclePolicyRequest,
  PutRegistryScanningConfigurationRequest,
  PutReplicationConfigurationRequest,
  RCTAppliedFor,
  EncryptionType as SdkEncryptionType,
  ImageTagMutability as SdkImageTagMutability,
  ScanFrequency as SdkScanFrequency,
  SetRepositoryPolicyRequest,
  TagResourceRequest,
  UpdateRepositoryCreationTemplateRequest,
} from '@aws-sdk/client-ecr';
import { describe, expectTypeOf, it } from 'vitest';
import type { EcrCall } from '../../src/compliance/domain/control.ts';
import type { CreateRepositoryInput } from '../../src/compliance/domain/ensure.ts';
import type {
  CreationTemplateUse,
  EncryptionType,
  ImageTagMutability,
  ScanFrequency,
} from '../../src/compliance/domain/state.ts';

/**
 * Domain code may not import the AWS SDK, not even its types (test/architecture), so compliance declares its own
 * ECR shapes. These type-level assertions (checked by tsc and vitest) keep them the SDK's: every enforcement input
 * is a valid request of its command (arrays aside: ours are readonly, the SDK's mutable, hence DeepMutable), and
 * the enums are the same sets.
 */

type DeepMutable<T> = T extends readonly (infer U)[]
  ? DeepMutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: DeepMutable<T[K]> }
    : T;
/** The input of action A (an EcrCall member may serve two actions, so not a plain Extract). */
type InputOf<A extends EcrCall['action']> = DeepMutable<
  EcrCall extends infer C
    ? C extends { action: infer N; input: infer I }
      ? A extends N
        ? I
        : never
      : never
    : never
>;

describe('compliance ECR shapes match @aws-sdk/client-ecr', () => {
  it('every enforcement input is a valid request of its command', () => {
    expectTypeOf<
      InputOf<'PutRegistryScanningConfiguration'>
    >().toExtend<PutRegistryScanningConfigurationRequest>();
    expectTypeOf<InputOf<'PutImageTagMutability'>>().toExtend<PutImageTagMutabilityRequest>();
    expectTypeOf<InputOf<'PutLifecyclePolicy'>>().toExtend<PutLifecyclePolicyRequest>();
    expectTypeOf<InputOf<'SetRepositoryPolicy'>>().toExtend<SetRepositoryPolicyRequest>();
    expectTypeOf<InputOf<'TagResource'>>().toExtend<TagResourceRequest>();
    expectTypeOf<InputOf<'PutReplicationConfiguration'>>().toExtend<PutReplicationConfigurationRequest>();
    expectTypeOf<
      InputOf<'CreateRepositoryCreationTemplate'>
    >().toExtend<CreateRepositoryCreationTemplateRequest>();
    expectTypeOf<
      InputOf<'UpdateRepositoryCreationTemplate'>
    >().toExtend<UpdateRepositoryCreationTemplateRequest>();
    expectTypeOf<DeepMutable<CreateRepositoryInput>>().toExtend<CreateRepositoryRequest>();
  });

  it('uses the SDK’s enum values, all of them', () => {
    expectTypeOf<ImageTagMutability>().toEqualTypeOf<SdkImageTagMutability>();
    expectTypeOf<EncryptionType>().toEqualTypeOf<SdkEncryptionType>();
    expectTypeOf<ScanFrequency>().toEqualTypeOf<SdkScanFrequency>();
    expectTypeOf<CreationTemplateUse>().toEqualTypeOf<RCTAppliedFor>();
  });
});
