import { describe, expect, it } from 'vitest';
import {
  checkEntryName,
  classifyEntry,
  consistentTargetName,
  isSafeTargetPath,
} from '../../../../core/bundle/bundle-layout';
import { DeckhandError } from '../../../../core/result';

function codeOf(run: () => unknown): string | null {
  try {
    run();
    return null;
  } catch (error) {
    return error instanceof DeckhandError ? error.code : 'thrown';
  }
}

describe('bundle layout', () => {
  it('classifies metadata, targets and directories', () => {
    expect(classifyEntry('./metadata/1.root.json', 'file')).toEqual({
      kind: 'metadata',
      name: 'metadata/1.root.json',
      file: '1.root.json',
    });
    expect(classifyEntry('targets/models/x/1/abc.m.onnx', 'file')).toMatchObject({
      kind: 'target',
      targetName: 'models/x/1/abc.m.onnx',
    });
    expect(classifyEntry('targets/models/', 'directory')).toEqual({
      kind: 'directory',
      name: 'targets/models',
    });
  });

  it.each([
    ['../etc/passwd'],
    ['targets/../../x'],
    ['/etc/passwd'],
    ['C:/Windows/system32'],
    ['c:evil'],
    ['targets\\..\\x'],
    ['targets/./x'],
    ['targets//x'],
    ['targets/x\u0000y'],
    ['targets/x\u0007'],
    ['targets/trailing.'],
    ['targets/trailing '],
  ])('refuses the name %j as unsafe_path', (name) => {
    expect(codeOf(() => classifyEntry(name, 'file'))).toBe('unsafe_path');
  });

  it.each([
    ['symlink'],
    ['hardlink'],
    ['character-device'],
    ['block-device'],
    ['fifo'],
    ['contiguous-file'],
    ['unknown'],
  ] as const)('refuses %s entries as unsafe_path', (type) => {
    expect(codeOf(() => classifyEntry('targets/x', type))).toBe('unsafe_path');
  });

  it('refuses safe entries that have no place in a bundle as not_a_bundle', () => {
    expect(codeOf(() => classifyEntry('README.txt', 'file'))).toBe('not_a_bundle');
    expect(codeOf(() => classifyEntry('metadata/sub/x.json', 'file'))).toBe('not_a_bundle');
    expect(codeOf(() => classifyEntry('other', 'directory'))).toBe('not_a_bundle');
  });

  it('names targets consistently and checks target paths', () => {
    expect(consistentTargetName('releases/a/1/app.img', 'ff')).toBe('releases/a/1/ff.app.img');
    expect(consistentTargetName('app.img', 'ff')).toBe('ff.app.img');
    expect(isSafeTargetPath('releases/a/1/app.img')).toBe(true);
    expect(isSafeTargetPath('releases/../x')).toBe(false);
    expect(checkEntryName('./a/b/')).toBe('a/b');
  });
});
