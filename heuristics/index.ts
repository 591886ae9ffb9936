import type { Rule } from '../src/engine/api.js';
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
// Registry and name checks (issue 7): names, versions and manifest fields, on every package.
import typosquat from './typosquat.js';
import dependencyConfusion from './dependency-confusion.js';
import remoteDependencies from './remote-dependencies.js';
import nativeBinaries from './native-binaries.js';
// Threats aimed at AI tooling and developer machines (issue 4).
import aiKeys from './ai-keys.js';
import agentConfig from './agent-config.js';
import aiCliAbuse from './ai-cli-abuse.js';
import mcpPoisoning from './mcp-poisoning.js';
import promptInjection from './prompt-injection.js';
import cryptoTheft from './crypto-theft.js';
import wormPropagation from './worm-propagation.js';
import persistence from './persistence.js';
// Issue 18: attacks no earlier rule was written for.
import tampering from './tampering.js';
import antiForensics from './anti-forensics.js';
import windowsLaunchers from './windows-launchers.js';
import covertChannel from './covert-channel.js';
import packageConfig from './package-config.js';
import librarySecrets from './library-secrets.js';

/** Every rule, in the order their findings are listed. */
export const RULES: readonly Rule[] = [installScripts, exfiltrationFlow, envAccess, credentialFiles, network, hostFingerprint, processExec, dynamicCode, obfuscation, homeWrites, sabotage, typosquat, dependencyConfusion, remoteDependencies, nativeBinaries, aiKeys, agentConfig, aiCliAbuse, mcpPoisoning, promptInjection, cryptoTheft, wormPropagation, persistence, tampering, antiForensics, windowsLaunchers, covertChannel, packageConfig, librarySecrets];
