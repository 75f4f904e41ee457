import { describe, expect, it } from 'vitest';
import { TextTemplate } from '../stacks/text-template';

const substitute = (text: string, markers: readonly string[], values: readonly string[]): string => new TextTemplate(text, markers).fill(values);

describe('TextTemplate', () => {
  it('replaces every occurrence of each marker, counts them, and keeps the rest byte for byte', () => {
    const t = new TextTemplate('{"id":"member-000000000000","tags":{"m":"NAME"},"arn":"arn:aws:iam::000000000000:root"}\n', ['000000000000', 'NAME']);
    expect(t.occurrences).toEqual([2, 1]);
    expect(t.fill(['123456789012', 'prod'])).toBe('{"id":"member-123456789012","tags":{"m":"prod"},"arn":"arn:aws:iam::123456789012:root"}\n');
    expect(t.fill(['000000000000', 'NAME'])).toBe(t.text);
  });

  it('inserts values as they are: a value holding a marker or another value is not replaced again', () => {
    expect(substitute('A-B', ['A', 'B'], ['B', 'A'])).toBe('B-A');
    expect(substitute('A A', ['A'], ['AA'])).toBe('AA AA');
    expect(substitute('a.b a+b', ['a.b'], ['x'])).toBe('x a+b'); // markers are literal, not patterns
  });

  it('leaves a text without markers as it is', () => {
    expect(new TextTemplate('plain', ['X']).fill(['y'])).toBe('plain');
  });

  it('refuses markers that would make an occurrence ambiguous, and the wrong number of values', () => {
    expect(() => new TextTemplate('x', [])).toThrow(/no markers/);
    expect(() => new TextTemplate('x', [''])).toThrow(/a marker is empty/);
    expect(() => new TextTemplate('x', ['abc', 'b'])).toThrow(/marker "b" is inside marker "abc"/);
    expect(() => new TextTemplate('x', ['a', 'a'])).toThrow(/marker "a" is listed twice/);
    expect(() => new TextTemplate('xAx', ['A']).fill([])).toThrow(/0 values for 1 markers/);
  });
});
