import { describe, expect, it } from 'vitest';
import { AccountDirectory, assumedRoleOf, credentialScope } from '../../../src/sandbox/edge/accounts.ts';

// What moto's STS answers to AssumeRole (query protocol), trimmed to the parts that matter.
const ASSUME_ROLE_XML = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <SessionToken>FQoGZXIvYXdzEBYaD</SessionToken>
      <SecretAccessKey>secret</SecretAccessKey>
      <Expiration>2026-11-27T21:20:00Z</Expiration>
      <AccessKeyId>ASIARTXV5AHD6TPSLUJM</AccessKeyId>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROA3X42LBCDNWYZCZGNR:s</AssumedRoleId>
      <Arn>arn:aws:sts::111111111111:assumed-role/x/s</Arn>
    </AssumedRoleUser>
  </AssumeRoleResult>
</AssumeRoleResponse>`;

const signed = (key: string, region: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=${key}/20261127/${region}/ecr/aws4_request, SignedHeaders=host, Signature=x`,
});

describe('the account directory', () => {
  it('reads the key and the role’s account from an AssumeRole answer', () => {
    expect(assumedRoleOf(ASSUME_ROLE_XML)).toEqual({
      accessKeyId: 'ASIARTXV5AHD6TPSLUJM',
      owner: { accountId: '111111111111', principalArn: 'arn:aws:sts::111111111111:assumed-role/x/s' },
    });
    expect(
      assumedRoleOf('<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>'),
    ).toBeUndefined();
  });

  it('reads the key and Region of a SigV4 credential scope', () => {
    expect(credentialScope(signed('AKIDEXAMPLE', 'eu-west-1'))).toEqual({
      accessKeyId: 'AKIDEXAMPLE',
      region: 'eu-west-1',
    });
    expect(credentialScope({})).toBeUndefined();
  });

  it('names the caller by the key’s account and the signature’s Region, else the sandbox’s', () => {
    // Prepare
    const directory = new AccountDirectory({
      accountId: '123456789012',
      region: 'us-east-1',
      registered: (key) =>
        key === 'ASIAFUNCTION0000000'
          ? { accountId: '333333333333', principalArn: 'arn:aws:sts::333333333333:assumed-role/fn/fn' }
          : undefined,
    });
    const assumed = assumedRoleOf(ASSUME_ROLE_XML);
    if (assumed) directory.record(assumed.accessKeyId, assumed.owner);
    // Act / Assess
    expect(directory.callerOf({})).toEqual({ accountId: '123456789012', region: 'us-east-1' });
    expect(directory.callerOf(signed('testing', 'eu-west-1'))).toEqual({
      accountId: '123456789012',
      region: 'eu-west-1',
    });
    expect(directory.callerOf(signed('ASIARTXV5AHD6TPSLUJM', 'us-west-2'))).toEqual({
      accountId: '111111111111',
      region: 'us-west-2',
      principalArn: 'arn:aws:sts::111111111111:assumed-role/x/s',
    });
    expect(directory.accountOf('ASIAFUNCTION0000000')).toBe('333333333333');
    directory.clear();
    expect(directory.accountOf('ASIARTXV5AHD6TPSLUJM')).toBe('123456789012');
    expect(directory.accountOf('ASIAFUNCTION0000000')).toBe('333333333333');
  });
});
