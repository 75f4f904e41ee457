// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdktf.out/**', 'dist/**', 'coverage/**', '.gen/**', '.scratch/**', '.tools/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@cdktf/provider-aws',
              message: 'Import per resource: @cdktf/provider-aws/lib/<resource>. The root loads ~2,200 modules.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { process: 'readonly', require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Handlers are bundled into the Lambda: they must never pull in cdktf or the stacks.
    files: ['handlers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['cdktf', 'cdktf/*', '@cdktf/*', 'constructs'], message: 'handlers/ never import cdktf.' },
            { group: ['**/stacks/**', '**/config/**'], message: 'handlers/ never import stacks/ or config/.' },
          ],
        },
      ],
    },
  },
);
