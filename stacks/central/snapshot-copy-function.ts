import type { ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { logGroupArn } from '../names';
import { serviceTrustPolicy, type PolicyDocument, type Statement } from '../policy/policy';
import { RoleWithPolicies } from '../policy/role-with-policies';
import { checkScope, checkWholeNumber, functionLogGroupName, invalidProp, type CopyScope, type CopyUnitProps, type FunctionCode } from './snapshot-copy-common';

/** Lambda's maximum function timeout. https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

/** A function writes its own log group, nothing else of CloudWatch Logs. */
export const writeOwnLogGroup = (p: CopyScope, functionName: string): Statement => ({
  Sid: 'WriteOwnLogGroup',
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: `${logGroupArn(p.region, p.accountId, functionLogGroupName(functionName))}:*`,
});

export interface CopyFunctionProps extends Omit<CopyUnitProps, 'alertTopicArn'> {
  /** Function name, also the name of its role and of the role's one inline policy: 1-64 of `[A-Za-z0-9_-]`. */
  readonly functionName: string;
  /** `index.<export>`: the entry point in the bundle. */
  readonly handler: string;
  readonly description: string;
  /** Seconds, 1 to 900 (Lambda's maximum). */
  readonly timeoutSeconds: number;
  /** The role's inline policy (with `writeOwnLogGroup` among its statements). */
  readonly policy: PolicyDocument;
  readonly environment: Readonly<Record<string, string>>;
  readonly code: FunctionCode;
  /**
   * Advice appended when the role's policy exceeds IAM's size quota.
   * @default - none
   */
  readonly sizeHint?: string;
  /**
   * Resources its environment or policy names by literal ARN: created first.
   * @default [] — only its log group and its role's policies
   */
  readonly after?: readonly ITerraformDependable[];
}

/**
 * One Lambda function of the copy path with its own execution role (one inline policy, named as
 * the function) and its own log group (retention, the hub key). nodejs24.x on arm64, 256 MB, from
 * the handler bundle.
 *
 * Built into `scope` with the ids `<id>-log-group`, `<id>-role` and `<id>-function`.
 */
export class CopyFunction {
  readonly function: LambdaFunction;
  readonly role: RoleWithPolicies;
  readonly logGroup: CloudwatchLogGroup;
  /** The role's name (the function's name). */
  readonly roleName: string;
  readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, props: CopyFunctionProps) {
    const unit = `CopyFunction ${id}`;
    checkScope(unit, props);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(props.functionName)) throw invalidProp(unit, 'functionName', props.functionName, 'is not 1-64 characters of A-Z a-z 0-9 _ -');
    if (!/^index\.[A-Za-z_$][\w$]*$/.test(props.handler)) throw invalidProp(unit, 'handler', props.handler, 'is not index.<export> (the bundle is one index.js)');
    checkWholeNumber(unit, 'timeoutSeconds', props.timeoutSeconds, 1, LAMBDA_MAX_TIMEOUT_SECONDS);
    const { region, accountId } = props;
    this.roleName = props.functionName;
    this.policy = props.policy;
    this.logGroup = new CloudwatchLogGroup(scope, `${id}-log-group`, {
      name: functionLogGroupName(props.functionName),
      region,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });
    this.role = new RoleWithPolicies(scope, `${id}-role`, {
      roleName: props.functionName,
      description: props.description,
      trustPolicy: serviceTrustPolicy('lambda.amazonaws.com', accountId),
      policies: { [props.functionName]: props.policy },
      ...(props.sizeHint ? { sizeHint: props.sizeHint } : {}),
    });
    this.function = new LambdaFunction(scope, `${id}-function`, {
      functionName: props.functionName,
      description: props.description,
      region,
      role: this.role.role.arn,
      runtime: 'nodejs24.x',
      architectures: ['arm64'],
      handler: props.handler,
      filename: props.code.filename,
      sourceCodeHash: props.code.sourceCodeHash,
      memorySize: 256,
      timeout: props.timeoutSeconds,
      environment: { variables: { ...props.environment } },
      // The log group by reference (created first, with retention and the key). `Text`: Lambda's
      // own lines stay as they were; Powertools writes its structured JSON lines itself.
      loggingConfig: { logFormat: 'Text', logGroup: this.logGroup.name },
      // The role's inline policies exist before the function runs with it.
      dependsOn: [this.logGroup, ...this.role.policies, ...(props.after ?? [])],
    });
  }
}
