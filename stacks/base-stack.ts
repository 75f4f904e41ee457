import { Aspects, LocalBackend, S3Backend, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { Construct } from 'constructs';
import type { OrgConfig } from '../config/schema';
import { GuardrailAspect } from './guardrails';
import { PREFIX, roleArn, STACK_TAG_KEY } from './names';
import { PlanRole, planRolePoliciesFor } from './plan-role';

/**
 * Which role the providers assume: `deploy` (`deployment.roleName`, to apply) or `plan`
 * (`deployment.planRoleName`, read-only: a synth for `terraform plan` in pull requests). `main.ts`
 * takes it from `EBS_EVENT_HUB_ROLE`; the synth stamp records it so a rollout refuses a plan synth.
 */
export type ProviderRole = 'deploy' | 'plan';
export const PROVIDER_ROLES: readonly ProviderRole[] = ['deploy', 'plan'];

/**
 * Terraform versions the stacks admit. At least 1.10: the S3 backend's `use_lockfile` (S3-native
 * state locking) exists from Terraform 1.10 on, and one constraint for every stack lets a user move
 * from local to S3 state without changing Terraform:
 * https://developer.hashicorp.com/terraform/language/backend/s3#state-locking
 * Below 2: a new major version may change what this JSON means; admit it after trying it.
 */
export const TERRAFORM_REQUIRED_VERSION = '>= 1.10.0, < 2.0.0';

/**
 * The provider as Terraform resolves it: the registry address in full (cdktf writes the short
 * `aws`) and the exact version `@cdktf/provider-aws` 21.22 is generated from, so the arguments
 * the stacks write are those that provider version's schema has.
 * https://developer.hashicorp.com/terraform/language/providers/requirements#source-addresses
 */
export const AWS_PROVIDER_SOURCE = 'hashicorp/aws';
export const AWS_PROVIDER_VERSION = '6.25.0';

/**
 * Local state file of a stack, relative to the stack's folder (`cdktf.out/stacks/<stack>/`, where
 * Terraform runs): cdktf's default is an absolute path under the current directory, so two
 * checkouts would synthesize different files. The local backend resolves a relative `path` against
 * the root module's directory: https://developer.hashicorp.com/terraform/language/backend/local
 */
export const localStatePath = (stackId: string): string => `terraform.${stackId}.tfstate`;

export interface AccountStackProps {
  readonly config: OrgConfig;
  /** Account this stack deploys into. The provider refuses any other (`allowed_account_ids`). */
  readonly accountId: string;
  /** The provider's default region; resources in other regions set their own `region` (provider 6). */
  readonly region: string;
  /** Tags on every resource of this stack, besides `deployment.defaultTags`. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** The role the provider assumes. @default 'deploy' */
  readonly providerRole?: ProviderRole;
}

/**
 * A stack deploying into one account: its own provider assuming `deployment.roleName` there (or,
 * synthesized for planning, `deployment.planRoleName`), default tags, the S3 backend when
 * `deployment.state` is set (one state key per stack), and the plan role when
 * `deployment.planPrincipalArns` is set.
 */
export abstract class AccountStack extends TerraformStack {
  readonly accountId: string;

  constructor(scope: Construct, id: string, props: AccountStackProps) {
    super(scope, id);
    this.accountId = props.accountId;
    // Every synth checks the guardrails (stacks/guardrails), failing with path, rule and fix.
    Aspects.of(this).add(new GuardrailAspect());
    const { deployment } = props.config;

    const plan = props.providerRole === 'plan';
    new AwsProvider(this, 'aws', {
      region: props.region,
      allowedAccountIds: [props.accountId],
      assumeRole: [
        {
          roleArn: roleArn(props.accountId, plan ? deployment.planRoleName : deployment.roleName),
          sessionName: `${PREFIX}-${plan ? 'plan-' : ''}${id}`.slice(0, 64),
        },
      ],
      defaultTags: [{ tags: { ...deployment.defaultTags, ...props.tags, [STACK_TAG_KEY]: id } }],
    });
    const planPolicies = planRolePoliciesFor(props.config, id, props.accountId);
    if (deployment.planPrincipalArns && Object.keys(planPolicies).length > 0) {
      new PlanRole(this, 'plan-role', { roleName: deployment.planRoleName, principalArns: deployment.planPrincipalArns, policies: planPolicies });
    }

    if (deployment.state) {
      new S3Backend(this, {
        bucket: deployment.state.bucket,
        region: deployment.state.region,
        // The config rejects a prefix the S3 backend rejects (leading or trailing `/`, `//`).
        key: `${deployment.state.keyPrefix}/${id}.tfstate`,
        encrypt: true,
      });
      // cdktf 0.21's S3Backend has no `useLockfile`; S3-native locking needs Terraform >= 1.10.
      this.addOverride('terraform.backend.s3.use_lockfile', true);
    } else {
      new LocalBackend(this, { path: localStatePath(id) });
    }
    this.addOverride('terraform.required_version', TERRAFORM_REQUIRED_VERSION);
    this.addOverride('terraform.required_providers.aws.source', AWS_PROVIDER_SOURCE);
    this.addOverride('terraform.required_providers.aws.version', AWS_PROVIDER_VERSION);
  }

  /**
   * The stack's Terraform, computed once: the guardrails check it before anything is written
   * (stacks/synth.ts) and cdktf then writes the same object, so checking costs no second pass.
   */
  override toTerraform(): ReturnType<TerraformStack['toTerraform']> {
    this.synthesized ??= super.toTerraform();
    return this.synthesized;
  }

  private synthesized?: ReturnType<TerraformStack['toTerraform']>;

  /**
   * cdktf's `prepareStack` resolves every element once only to discover cross-stack references
   * and create the outputs and remote-state lookups they need. This app has none by design (every
   * ARN a stack needs is computed from config), so that pass is skipped: it was a third of the
   * synth time of a 1,000-account org. A test checks that no stack references a resource it does
   * not contain.
   */
  override prepareStack(): void {
    this.ensureBackendExists();
  }
}
