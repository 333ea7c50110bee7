import { describe, expect, test } from 'bun:test';
import { DATASET_SIZE, formatList, formatOffsets, isRunId, parseChoice, parseCount, parseFactorName, parseIndex, parseIndexList, parseOffsets } from '../src/lib/params.ts';

describe('view state in the URL', () => {
  test('dataset indices', () => {
    expect(parseIndex('42')).toBe(42);
    expect(parseIndex(' 7 ')).toBe(7);
    expect(parseIndex(['5', '6'])).toBe(5);
    expect(parseIndex(String(DATASET_SIZE - 1))).toBe(DATASET_SIZE - 1);
    for (const bad of [undefined, '', '-1', '1.5', '1e3', 'abc', String(DATASET_SIZE)]) expect(parseIndex(bad)).toBeUndefined();
  });

  test('index lists drop bad entries and duplicates and respect a maximum', () => {
    expect(parseIndexList('1,2,x,2,-3,4')).toEqual([1, 2, 4]);
    expect(parseIndexList('1,2,3,4', { max: 2 })).toEqual([1, 2]);
    expect(parseIndexList(undefined)).toEqual([]);
    expect(formatList([3, 1])).toBe('3,1');
  });

  test('slider offsets are clamped, padded and round-trip through the URL', () => {
    expect(parseOffsets('0.5,-3,x', 4)).toEqual([0.5, -2, 0, 0]);
    expect(parseOffsets(undefined, 2)).toEqual([0, 0]);
    expect(parseOffsets('1,1,1', 2, 0.5)).toEqual([0.5, 0.5]);
    expect(formatOffsets([0.123, 0, -1.005, 0, 0])).toBe('0.12,0,-1');
    expect(formatOffsets([0, 0])).toBe('');
    const offsets = [0.25, -1.5, 0, 2];
    expect(parseOffsets(formatOffsets(offsets), 4)).toEqual(offsets);
  });

  test('choices, counts, factors and run ids', () => {
    expect(parseChoice('server', ['auto', 'server'], 'auto')).toBe('server');
    expect(parseChoice('gpu', ['auto', 'server'], 'auto')).toBe('auto');
    expect(parseCount('300', 2000, 10, 5000)).toBe(300);
    expect(parseCount('9000', 2000, 10, 5000)).toBe(2000);
    expect(parseCount('2.5', 2000)).toBe(2000);
    expect(parseFactorName('posY')).toBe('posY');
    expect(parseFactorName('colour')).toBe('shape');
    expect(isRunId('tiny-vae_2.1')).toBe(true);
    for (const bad of ['', '../x', '.hidden', 'a/b', 'x'.repeat(129), 3]) expect(isRunId(bad)).toBe(false);
  });
});
