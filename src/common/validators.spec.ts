import { IsString } from 'class-validator';
import { PlainText, textProblem, Trim } from './validators.js';
import { validateObject } from './validation.js';

describe('textProblem', () => {
  it.each(['ada', 'Åsa Öberg', '😀 emoji pairs are fine', '日本語', ''])('accepts %j', (text) => {
    expect(textProblem(text)).toBeUndefined();
  });

  it.each([
    ['a\u0000b', 'must not contain control characters'],
    ['line\r\nbreak', 'must not contain control characters'],
    ['c1 \u0085', 'must not contain control characters'],
    ['\ud800', 'must be well-formed Unicode (it has a lone surrogate)'],
    ['x\udc00', 'must be well-formed Unicode (it has a lone surrogate)'],
    ['\ude00\ud83d', 'must be well-formed Unicode (it has a lone surrogate)'], // halves in the wrong order
  ])('refuses %j', (text, reason) => {
    expect(textProblem(text)).toBe(reason);
  });
});

class Named {
  @IsString()
  @Trim()
  @PlainText()
  name!: string;
}

describe('Trim and PlainText on a DTO', () => {
  it('trims strings, leaves other types to the type check, and names the text problem', () => {
    expect(validateObject(Named, { name: '  hr sync ' })).toMatchObject({
      value: { name: 'hr sync' },
      problems: [],
    });
    expect(validateObject(Named, { name: 7 }).problems).toEqual([
      { field: 'name', reason: 'must be a string' },
    ]);
    expect(validateObject(Named, { name: 'a\ud800' }).problems).toEqual([
      { field: 'name', reason: 'must be well-formed Unicode (it has a lone surrogate)' },
    ]);
  });
});
