import { describe, expect, test } from 'bun:test';
import { DATASET_SIZE, formatList, formatOffsets, isRunId, parseIndexListText, parseOffsetsText } from '../src/lib/params.ts';
import { indexBelow, indexExpectation, paramText, problemsOf, readParam } from '../src/lib/link.ts';
import { groupFromLabel } from '@maga/model';
import { elementParam, formatElementParam, sameElement } from '../src/lib/groups.ts';

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

  test('group elements from a link: the group checks them, and a refusal says what it takes', () => {
    const so2 = groupFromLabel('so2');
    const c4 = groupFromLabel('c4');
    const so3 = groupFromLabel('so3');
    expect(elementParam('g', '1.5708', so2)).toEqual({ value: [1.5708], problem: null });
    expect(elementParam('g', '-3', so2).value).toEqual([-3]);
    expect(elementParam('g', undefined, so2)).toEqual({ value: undefined, problem: null });
    for (const bad of ['1e999', 'NaN', '1001', 'abc', '0x10', '1,2', 'Infinity']) {
      const read = elementParam('g', bad, so2);
      expect(read.value).toBeUndefined();
      expect(read.problem).toEqual({ key: 'g', value: bad, expected: 'a finite angle in radians (an element of SO(2)), written as one number' });
    }
    expect(elementParam('g', '3', c4).value).toEqual([3]);
    for (const bad of ['4', '-1', '1.5']) expect(elementParam('g', bad, c4).problem?.expected).toBe('an integer in [0, 3] (an element of C_4), written as one number');
    expect(elementParam('g1', '1,0,0,0', so3).value).toEqual([1, 0, 0, 0]);
    // A link's rounded quaternion passes (within the unit tolerance); a scaled one does not.
    const written = formatElementParam([Math.SQRT1_2, 0, Math.SQRT1_2, 0]);
    expect(written).toBe('0.707107,0,0.707107,0');
    expect(sameElement(elementParam('g', written, so3).value!, [Math.SQRT1_2, 0, Math.SQRT1_2, 0])).toBe(true);
    for (const bad of ['2,0,0,0', '0.5,0.5,0.5,0.6', '1,0,0', '1,0,0,x']) expect(elementParam('g', bad, so3).problem?.expected).toContain('(an element of SO(3)), written as 4 numbers separated by commas');
  });

  test('run ids', () => {
    expect(isRunId('tiny-vae_2.1')).toBe(true);
    for (const bad of ['', '../x', '.hidden', 'a/b', 'x'.repeat(129), 3]) expect(isRunId(bad)).toBe(false);
  });
});
