import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attrConstName, generateType, Mirror } from '../../scripts/force-new/generate';
import { parseExpr, tokenize, topLevelReturns } from '../../scripts/force-new/go-source';
import { git } from '../support/temp-repo';

const MOD = 'github.com/hashicorp/terraform-provider-aws';
const header = (pkg: string, imports: string[] = []) => `package ${MOD}/${pkg}\nimport (\n${imports.map((i) => `\t${i}\n`).join('')})\n`;

/**
 * A miniature of lonegunmanb/terraform-provider-aws-index at v6.25.0: one declaration per file,
 * the shapes the real schemas use (a var schema, names.Attr keys, nested Elem resources, helper
 * functions of another package behind sync.OnceValue, CustomizeDiff, a framework resource).
 */
const FILES: Record<string, string> = {
  'index/internal/service/widget/method.servicePackage.SDKResources.goindex': `${header('internal/service/widget')}func (p *servicePackage) SDKResources(ctx context.Context) []*inttypes.ServicePackageSDKResource {
	return []*inttypes.ServicePackageSDKResource{
		{
			Factory:  resourceWidget,
			TypeName: "aws_widget",
			Name:     "Widget",
			Region:   unique.Make(inttypes.ResourceRegionDefault()),
		},
		{
			Factory:  resourceGlobal,
			TypeName: "aws_global_widget",
		},
	}
}`,
  'index/internal/service/widget/method.servicePackage.FrameworkResources.goindex': `${header('internal/service/widget')}func (p *servicePackage) FrameworkResources(ctx context.Context) []*inttypes.ServicePackageFrameworkResource {
	return []*inttypes.ServicePackageFrameworkResource{
		{
			Factory:  newGadgetResource,
			TypeName: "aws_gadget",
		},
	}
}`,
  'index/internal/service/widget/func.resourceWidget.goindex': `${header('internal/service/widget', ['"github.com/hashicorp/terraform-plugin-sdk/v2/helper/customdiff"'])}func resourceWidget() *schema.Resource {
	return &schema.Resource{
		CreateWithoutTimeout: resourceWidgetCreate,
		CustomizeDiff: customdiff.Sequence(
			checkWidget,
			customdiff.ForceNewIfChange("size", func(_ context.Context, old, new, meta any) bool {
				// a widget cannot shrink
				return new.(int) < old.(int)
			}),
		),
		Schema: widgetSchema,
	}
}`,
  'index/internal/service/widget/func.checkWidget.goindex': `${header('internal/service/widget')}func checkWidget(_ context.Context, d *schema.ResourceDiff, meta any) error {
	if d.HasChange("color") && d.Get("color") == "black" {
		return d.ForceNew("color")
	}
	return nil
}`,
  'index/internal/service/widget/var.widgetSchema.goindex': `${header('internal/service/widget', ['tftags "github.com/hashicorp/terraform-provider-aws/internal/tags"', '"github.com/hashicorp/terraform-provider-aws/names"'])}var (
	widgetSchema = map[string]*schema.Schema{
		names.AttrKMSKeyID: {
			Type:     schema.TypeString,
			Optional: true,
			Computed: true,
			ForceNew: true,
		},
		"label": {
			Type:     schema.TypeString,
			Optional: true,
			StateFunc: func(v any) string {
				return strings.ToLower(v.(string)) // "}" in a string and a comment {
			},
		},
		"part": {
			Type:     schema.TypeList,
			Optional: true,
			Elem: &schema.Resource{
				Schema: map[string]*schema.Schema{
					"serial": {
						Type:     schema.TypeString,
						Required: true,
						ForceNew: true,
					},
					"note": {
						Type: schema.TypeString,
						Optional: true,
					},
				},
			},
		},
		"size": {
			Type:     schema.TypeInt,
			Optional: true,
		},
		names.AttrTags: tftags.TagsSchemaForceNew(),
	}
)`,
  'index/internal/tags/var.TagsSchemaForceNew.goindex': `${header('internal/tags')}var TagsSchemaForceNew = sync.OnceValue(func() *schema.Schema {
	return &schema.Schema{
		Type:     schema.TypeMap,
		Optional: true,
		ForceNew: true,
		Elem:     &schema.Schema{Type: schema.TypeString},
	}
})`,
  'index/internal/service/widget/func.resourceGlobal.goindex': `${header('internal/service/widget')}func resourceGlobal() *schema.Resource {
	return &schema.Resource{
		SchemaFunc: func() map[string]*schema.Schema {
			return map[string]*schema.Schema{
				"path": {
					Type:     schema.TypeString,
					Optional: true,
					ForceNew: true,
				},
			}
		},
	}
}`,
  'index/internal/service/widget/func.newGadgetResource.goindex': `${header('internal/service/widget')}func newGadgetResource(_ context.Context) (resource.ResourceWithConfigure, error) {
	r := &gadgetResource{}
	return r, nil
}`,
  'index/internal/service/widget/method.gadgetResource.Schema.goindex': `${header('internal/service/widget')}func (r *gadgetResource) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Attributes: map[string]schema.Attribute{
			"owner": schema.StringAttribute{
				Required: true,
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.RequiresReplace(),
				},
			},
			"shade": schema.StringAttribute{
				Optional: true,
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.RequiresReplaceIf(shadeChanged, "", ""),
				},
			},
			"count": schema.Int64Attribute{
				Optional: true,
			},
		},
		Blocks: map[string]schema.Block{
			"slot": schema.ListNestedBlock{
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"id": schema.StringAttribute{
							Required: true,
							PlanModifiers: []planmodifier.String{
								stringplanmodifier.RequiresReplace(),
							},
						},
					},
				},
			},
		},
	}
}`,
};

const root = mkdtempSync(join(tmpdir(), 'force-new-mirror-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function mirror(): Mirror {
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'index');
  git(root, 'tag', 'v6.25.0');
  return new Mirror(join(root, '.git'), 'v6.25.0');
}

describe('scripts/force-new/generate.ts over an index', () => {
  const m = mirror();

  it('SDKv2: ForceNew top-level and nested arguments, through a var, names.Attr keys and a helper of another package', () => {
    const widget = generateType(m, 'aws_widget', 'resource');
    expect(widget.regional).toBe(true);
    expect(widget.registration).toBe('index/internal/service/widget/method.servicePackage.SDKResources.goindex:6');
    expect(widget.schema).toBe('index/internal/service/widget/func.resourceWidget.goindex (resourceWidget)');
    expect(Object.keys(widget.forceNew).sort()).toEqual(['color', 'kms_key_id', 'part.serial', 'region', 'size', 'tags']);
    expect(widget.forceNew.kms_key_id).toEqual({ source: 'index/internal/service/widget/var.widgetSchema.goindex:8 (widgetSchema)', computed: true });
    expect(widget.forceNew['part.serial']!.source).toBe('index/internal/service/widget/var.widgetSchema.goindex:26 (widgetSchema)');
    expect(widget.forceNew.tags!.source).toBe('index/internal/tags/var.TagsSchemaForceNew.goindex:5 (TagsSchemaForceNew)');
  });

  it('SDKv2: CustomizeDiff ForceNewIfChange and ForceNew calls (followed into the functions it runs) are conditional, with the source condition', () => {
    const widget = generateType(m, 'aws_widget', 'resource');
    expect(widget.forceNew.size).toEqual({ source: expect.stringMatching(/func\.resourceWidget\.goindex:\d+ \(CustomizeDiff: customdiff\.ForceNewIfChange\)/), conditional: 'a widget cannot shrink. Replaced when: return new.(int) < old.(int)' });
    expect(widget.forceNew.color).toEqual({ source: expect.stringMatching(/func\.checkWidget\.goindex:\d+ \(checkWidget calls ForceNew\)/), conditional: 'checkWidget calls ForceNew: see source' });
    expect(widget.forceNew.region!.conditional).toContain('except one between unset and the region of the provider configuration');
  });

  it('SDKv2 SchemaFunc, and a type registered without Region: no region argument', () => {
    const global = generateType(m, 'aws_global_widget', 'resource');
    expect(global.regional).toBe(false);
    expect(Object.keys(global.forceNew)).toEqual(['path']);
  });

  it('plugin framework: RequiresReplace (attributes and nested blocks), RequiresReplaceIf as conditional', () => {
    const gadget = generateType(m, 'aws_gadget', 'resource');
    expect(gadget.schema).toBe('index/internal/service/widget/method.gadgetResource.Schema.goindex (gadgetResource.Schema)');
    expect(gadget.forceNew).toEqual({
      owner: { source: 'index/internal/service/widget/method.gadgetResource.Schema.goindex:10 (gadgetResource.Schema)' },
      shade: { source: 'index/internal/service/widget/method.gadgetResource.Schema.goindex:16 (gadgetResource.Schema)', conditional: 'RequiresReplaceIf: see source' },
      'slot.id': { source: 'index/internal/service/widget/method.gadgetResource.Schema.goindex:30 (gadgetResource.Schema)' },
    });
  });

  it('a type with no registration is an error, not an empty entry', () => {
    expect(() => generateType(m, 'aws_nothing', 'resource')).toThrow(/no registration of resource aws_nothing/);
  });
});

describe('go-source reader', () => {
  it('reads strings, raw strings and comments without counting their braces', () => {
    const tokens = tokenize('x := map[string]int{"a}": 1, `b{`: 2} // }\n/* { */ y');
    expect(tokens.map((t) => t.text)).toEqual(['x', ':=', 'map', '[', 'string', ']', 'int', '{', '"a}"', ':', '1', ',', '`b{`', ':', '2', '}', 'y']);
    expect(tokens.at(-1)!.newlineBefore).toBe(true);
  });

  it('parses composite literals, calls and function literals, and finds top-level returns only', () => {
    const tokens = tokenize('{ if x { return 1 }\n return &schema.Schema{Type: schema.TypeString, Elem: f(a, func() int { return 2 })}\n}');
    const returns = topLevelReturns(tokens, [1, tokens.length - 1]);
    expect(returns).toHaveLength(1);
    const node = returns[0]!;
    expect(node.kind === 'composite' && node.type).toBe('schema.Schema');
    const elem = node.kind === 'composite' ? node.elements[1]!.value : undefined;
    expect(elem).toMatchObject({ kind: 'call', callee: { kind: 'name', name: 'f' }, args: [{ kind: 'name', name: 'a' }, { kind: 'func' }] });
    expect(parseExpr(tokenize('"x"'), 0, 1)).toMatchObject({ kind: 'string', value: 'x' });
  });

  it('turns names.Attr constants into argument names', () => {
    expect(['AttrKMSKeyID', 'AttrRoleARN', 'AttrNamePrefix', 'AttrTagsAll', 'AttrARN', 'AttrCapacityProviderStrategy'].map(attrConstName)).toEqual(['kms_key_id', 'role_arn', 'name_prefix', 'tags_all', 'arn', 'capacity_provider_strategy']);
  });
});
