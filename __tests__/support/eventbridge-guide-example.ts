/**
 * The example event of the EventBridge guide's "Amazon EventBridge event patterns" page, on which
 * its operator examples are written: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
export const EC2_INSTANCE_STATE_EVENT = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
} as const;
