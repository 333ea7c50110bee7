import { describe, expect, test } from 'bun:test';
import { DATASET_SIZE, formatList, formatOffsets, isRunId, parseIndexListText, parseOffsetsText } from '../src/lib/params.ts';
import { indexBelow, indexExpectation, paramText, problemsOf, readParam } from '../src/lib/link.ts';
import { elementExpectation, parseElement, parseRotation } from '../src/lib/groups.ts';

describe('view state in the URL', () => {
  test('a parameter is absent, taken, or refused with the value and what it takes', () => {
    const index = indexBelow(DATASET_SIZE);
    expect(readParam('pivot', undefined, index, 'x')).toEqual({ value: undefined, problem: null });
    expect(readParam('pivot', '  ', index, 'x')).toEqual({ value: undefined, problem: null });
    expect(readParam('pivot', ' 42 ', index, 'x')).toEqual({ value: 42, problem: null });
    expect(readParam('pivot', ['5', '6'], index, 'x').value).toBe(5);
    expect(readParam('pivot', String(DATASET_SIZE - 1), index, 'x').value).toBe(DATASET_SIZE - 1);
    for (const bad of ['-1', '1.5', '1e3', 'abc', String(DATASET_SIZE), 'NaN']) {
      expect(readParam('pivot', bad, index, indexExpectation(DATASET_SIZE))).toEqual({ value: undefined, problem: { key: 'pivot', value: bad, expected: 'an image index from 0 to 737,279' } });
    }
    // A long value is shortened in the message.
    expect(readParam('a', 'x'.repeat(100), index, 'y').problem!.value).toHaveLength(58);
    expect(paramText(['', 'x'])).toBeUndefined();
    expect(problemsOf(readParam('a', '1', index, ''), readParam('b', 'z', index, 'an index')).map((p) => p.key)).toEqual(['b']);
  });

  test('index lists: every entry valid and within the maximum, or the list is refused', () => {
    expect(parseIndexListText('1,2,2,4')).toEqual([1, 2, 4]);
    expect(parseIndexListText('1,2,x')).toBeUndefined();
    expect(parseIndexListText('1,2,3', DATASET_SIZE, 2)).toBeUndefined();
    expect(parseIndexListText('10', 10)).toBeUndefined();
    expect(formatList([3, 1])).toBe('3,1');
  });

  test('slider offsets: numbers within ±range, and they round-trip through the URL', () => {
    expect(parseOffsetsText('0.5,-2,0')).toEqual([0.5, -2, 0]);
    for (const bad of ['0.5,-3', 'x', '1,,2', 'NaN']) expect(parseOffsetsText(bad)).toBeUndefined();
    expect(parseOffsetsText('1,1', 0.5)).toBeUndefined();
    expect(formatOffsets([0.123, 0, -1.005, 0, 0])).toBe('0.12,0,-1');
    expect(formatOffsets([0, 0])).toBe('');
    const offsets = [0.25, -1.5, 0, 2];
    expect(parseOffsetsText(formatOffsets(offsets))).toEqual(offsets);
  });

  test('group elements: an angle within ±1000 rad, j of C_n, or a unit quaternion', () => {
    const so2 = { kind: 'so2' } as const;
    const c4 = { kind: 'cyclic', n: 4 } as const;
    expect(parseElement('1.5708', so2)).toBe(1.5708);
    expect(parseElement('-3', so2)).toBe(-3);
    for (const bad of ['1e999', 'NaN', '1001', 'abc', '0x10', '']) expect(parseElement(bad, so2)).toBeUndefined();
    expect(parseElement('3', c4)).toBe(3);
    for (const bad of ['4', '-1', '1.5']) expect(parseElement(bad, c4)).toBeUndefined();
    expect(elementExpectation(c4)).toBe('an integer from 0 to 3 (an element of C_4)');
    expect(parseRotation('1,0,0,0')).toEqual([1, 0, 0, 0]);
    // A link's rounded digits are normalised; the sign is made canonical (w ≥ 0).
    const q = parseRotation('-0.707107,0,-0.707107,0')!;
    expect(q[0]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(q[2]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(Math.hypot(...q)).toBeCloseTo(1, 14);
    for (const bad of ['2,0,0,0', '0.5,0.5,0.5,0.6', '1,0,0', '1,0,0,x', '0,0,0,0']) expect(parseRotation(bad)).toBeUndefined();
  });

  test('run ids', () => {
    expect(isRunId('tiny-vae_2.1')).toBe(true);
    for (const bad of ['', '../x', '.hidden', 'a/b', 'x'.repeat(129), 3]) expect(isRunId(bad)).toBe(false);
  });
});
