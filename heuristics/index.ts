import type { Rule } from '../src/engine/rule.js';
import installScripts from './install-scripts.js';
import envAccess from './env-access.js';
import credentialFiles from './credential-files.js';
import network from './network.js';
import hostFingerprint from './host-fingerprint.js';
import processExec from './process-exec.js';
import dynamicCode from './dynamic-code.js';
import sabotage from './sabotage.js';
import exfiltrationFlow from './exfiltration-flow.js';
import obfuscation from './obfuscation.js';
import homeWrites from './home-writes.js';

/** Every rule, in the order their findings are listed. */
export const RULES: readonly Rule[] = [installScripts, exfiltrationFlow, envAccess, credentialFiles, network, hostFingerprint, processExec, dynamicCode, obfuscation, homeWrites, sabotage];
