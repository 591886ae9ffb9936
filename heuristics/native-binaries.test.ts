import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { binaryFormat } from './native-binaries.js';

const RULE = 'native-binaries';

const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(64)]);
const macho = Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]), Buffer.alloc(64)]);
const pe = (() => {
  const b = Buffer.alloc(0x100);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  return b;
})();
const javaClass = Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0x34, 0, 0]);

describe('binaryFormat', () => {
  test('reads ELF, Mach-O and PE magic, and tells fat Mach-O from Java classes', () => {
    expect(binaryFormat(elf)).toBe('ELF');
    expect(binaryFormat(macho)).toBe('Mach-O');
    expect(binaryFormat(pe)).toBe('PE');
    expect(binaryFormat(Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2, 0, 0]))).toBe('Mach-O');
    expect(binaryFormat(javaClass)).toBeUndefined();
    expect(binaryFormat(Buffer.from('MZ is also how a text file can start, without a PE header'))).toBeUndefined();
  });
});

describe('native-binaries reports', () => {
  test('a prebuilt .node addon is informational', () => {
    const r = scanFiles({ 'package.json': manifest(), 'build/Release/addon.node': elf });
    expect(r.of(RULE)).toEqual([expect.objectContaining({ severity: 'info', file: 'build/Release/addon.node', message: expect.stringContaining('native addon (ELF)') })]);
  });

  test('a bundled executable is low; a .exe is PE', () => {
    const r = scanFiles({ 'package.json': manifest(), 'bin/tool': elf, 'bin/tool.exe': pe });
    expect(r.of(RULE).map((f) => [f.file, f.severity])).toEqual([
      ['bin/tool', 'low'],
      ['bin/tool.exe', 'low'],
    ]);
  });

  test('an executable disguised as an image or script is medium', () => {
    const r = scanFiles({ 'package.json': manifest(), 'assets/logo.png': macho, 'lib/util.js': elf });
    expect(r.of(RULE).map((f) => [f.file, f.severity])).toEqual([
      ['assets/logo.png', 'medium'],
      ['lib/util.js', 'medium'],
    ]);
  });
});

describe('native-binaries stays quiet on', () => {
  test('text, images and Java classes', () => {
    const r = scanFiles({ 'package.json': manifest(), 'index.js': 'module.exports = 1;', 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 0]), 'A.class': javaClass });
    expect(r.of(RULE)).toEqual([]);
  });
});
