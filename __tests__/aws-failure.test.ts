import { describe, expect, it } from 'vitest';
import { describeAwsFailure, isThrottling } from '../cli/common/aws-failure';

const awsError = (name: string, httpStatusCode: number, attempts = 3) => Object.assign(new Error(`${name} message`), { name, $metadata: { httpStatusCode, attempts } });

describe('describeAwsFailure / isThrottling: throttling is what the SDK retried as throttling', () => {
  it.each([
    ['ThrottlingException', 400], // SFN, EventBridge, KMS
    ['Throttling', 400], // CloudWatch, STS (query protocol)
    ['RequestThrottled', 403], // SQS (query protocol)
    ['ProvisionedThroughputExceededException', 400],
    ['TooManyRequestsException', 429],
    ['SomeNewQuotaError', 429], // any HTTP 429
  ])('GIVEN %s (HTTP %i) THEN throttled, with the attempts the SDK made', (name, status) => {
    const err = awsError(name, status, 8);
    expect(isThrottling(err)).toBe(true);
    expect(describeAwsFailure('StartExecution', err, 'run it again later')).toBe(`StartExecution: throttled (${name}) after 8 attempts; run it again later`);
  });

  it.each([
    ['AccessDeniedException', 400],
    ['ExecutionAlreadyExists', 400],
    ['InternalServerError', 500],
  ])('GIVEN %s (HTTP %i) THEN not throttling: the error name and message on one line', (name, status) => {
    const err = awsError(name, status);
    expect(isThrottling(err)).toBe(false);
    expect(describeAwsFailure('DescribeRule', err, 'run verify again later')).toBe(`DescribeRule: ${name}: ${name} message`);
  });

  it('GIVEN something that is not an error object THEN not throttling', () => {
    expect(isThrottling(undefined)).toBe(false);
    expect(isThrottling('ThrottlingException')).toBe(false);
  });
});
