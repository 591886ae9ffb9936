import { defineRule } from '../src/engine/api.js';

export type BinaryFormat = 'ELF' | 'PE' | 'Mach-O';

/** The executable format of a file from its first bytes, or undefined. */
export function binaryFormat(data: Buffer | undefined): BinaryFormat | undefined {
  if (!data || data.length < 8) return undefined;
  if (data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46) return 'ELF';
  const be = data.readUInt32BE(0);
  if (be === 0xfeedface || be === 0xfeedfacf || be === 0xcefaedfe || be === 0xcffaedfe) return 'Mach-O';
  // Fat Mach-O shares 0xcafebabe with Java class files; a fat header's next word is a small arch count.
  if (be === 0xcafebabe && data.readUInt32BE(4) > 0 && data.readUInt32BE(4) <= 20) return 'Mach-O';
  if (data[0] === 0x4d && data[1] === 0x5a && data.length >= 0x40) {
    const pe = data.readUInt32LE(0x3c);
    if (pe + 4 <= data.length && data.readUInt32BE(pe) === 0x50450000) return 'PE';
  }
  return undefined;
}

/** Extensions an executable or library may honestly carry. */
const BINARY_EXT = /(?:^|\/)[^/.]+$|\.(?:node|exe|dll|so(?:\.\d+)*|dylib|bin|out|wasm|a|lib|o)$/i;

export default defineRule({
  meta: {
    id: 'native-binaries',
    title: 'Bundled native executables',
    description:
      'Native executables and libraries shipped in the package (ELF, PE, Mach-O by their magic bytes; `.node` addons). Static analysis cannot read them, so they are listed: prebuilt addons are common and informational, other executables are low, and an executable disguised under a text or image extension (`.js`, `.png`, `.txt`) is medium. Running one at install is reported by process-exec.',
    severity: 'low',
    category: 'execution',
    references: ['https://nodejs.org/api/addons.html', 'https://www.reversinglabs.com/blog/malicious-npm-packages-with-hidden-binaries'],
    docs: {
      example: 'lib/update.png is an ELF executable; scripts.postinstall runs it',
      exampleFiles: { 'lib/update.png': '\x7fELF\x02\x01\x01\x00' + '\x00'.repeat(56), 'package.json': '{ "scripts": { "postinstall": "./lib/update.png" } }' },
      suppress: 'Build native code from source at install (node-gyp) or publish per-platform packages; or turn the rule off with `"rules": { "native-binaries": "off" }`.',
    },
  },
  create(ctx) {
    return {
      package() {
        let shown = 0;
        let more = 0;
        for (const f of ctx.files.values()) {
          const format = binaryFormat(f.data);
          const addon = f.path.endsWith('.node');
          if (!format && !addon) continue;
          if (shown >= 8) {
            more++;
            continue;
          }
          shown++;
          const disguised = !!format && !BINARY_EXT.test(f.path);
          ctx.report({
            file: f.path,
            message: disguised
              ? `${format} executable disguised under a non-binary name (${f.path})`
              : addon
                ? `native addon${format ? ` (${format})` : ''}: compiled code static analysis cannot read`
                : `bundled ${format} ${/\.(?:so(?:\.\d+)*|dylib|dll|a|lib|o)$/i.test(f.path) ? 'library' : 'executable'}: compiled code static analysis cannot read`,
            severity: disguised ? 'medium' : addon ? 'info' : 'low',
            evidence: `${f.path} (${f.size} bytes${format ? `, ${format}` : ''})`,
          });
        }
        if (more) ctx.report({ message: `${more} more native binaries not listed`, severity: 'info' });
      },
    };
  },
});
