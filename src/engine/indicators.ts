import { AI_CREDENTIAL_HINT, AI_CREDENTIAL_PATHS } from './ai-indicators.js';

/**
 * Shared indicator lists used by several rules. Each entry says why it is there; lists stay
 * short and specific, because a broad pattern here becomes a false positive everywhere.
 */

export interface Indicator {
  re: RegExp;
  label: string;
}

/** Services that exist to receive data from strangers: where stolen data is sent. */
export const EXFIL_ENDPOINTS: Indicator[] = [
  { re: /discord(?:app)?\.com\/api\/webhooks\//i, label: 'Discord webhook' },
  { re: /hooks\.slack\.com\/(?:services|workflows)\//i, label: 'Slack webhook' },
  { re: /api\.telegram\.org\/bot/i, label: 'Telegram bot API' },
  { re: /\bpastebin\.com\/(?:api|raw)/i, label: 'Pastebin' },
  { re: /\bwebhook\.site\b/i, label: 'webhook.site' },
  { re: /\bpipedream\.net\b/i, label: 'Pipedream' },
  { re: /[a-z0-9-]\.ngrok(?:-free)?\.(?:io|app|dev)\b/i, label: 'ngrok tunnel' },
  { re: /[a-z0-9.-]\.(?:oast\.(?:fun|pro|live|site|online|me)|interact\.sh|interactsh\.com)\b/i, label: 'interactsh/OAST callback' },
  { re: /\bburpcollaborator\.net\b|\boastify\.com\b/i, label: 'Burp Collaborator' },
  { re: /\brequestbin\.(?:net|com)\b|\benjgm\w{0,64}\.x\.pipedream\.net\b|\brequestcatcher\.com\b|\bbeeceptor\.com\b/i, label: 'request bin' },
  { re: /\bcanarytokens\.com\b|\bdnslog\.cn\b|\bceye\.io\b|\bbind9-or-callback-server\.com\b/i, label: 'DNS/HTTP callback logger' },
  { re: /\btransfer\.sh\b|\bfile\.io\b|\b0x0\.st\b|\bgofile\.io\b/i, label: 'anonymous file drop' },
];

/** Services that tell a program its public IP or location: recon in install code. */
export const RECON_ENDPOINTS: Indicator[] = [
  { re: /\bifconfig\.(?:me|co|io)\b/i, label: 'ifconfig IP lookup' },
  { re: /\bapi[46]?\.ipify\.org\b/i, label: 'ipify IP lookup' },
  { re: /\bipinfo\.io\b/i, label: 'ipinfo lookup' },
  { re: /\bip-api\.com\b/i, label: 'ip-api lookup' },
  { re: /\bicanhazip\.com\b|\bcheckip\.amazonaws\.com\b|\bipecho\.net\b|\bmyexternalip\.com\b/i, label: 'IP lookup' },
];

/** A URL whose host is a literal public IPv4 address. */
export const RAW_IP_URL = /\b(?:https?|wss?|tcp):\/\/((?:\d{1,3}\.){3}\d{1,3})(?::\d+)?/i;

export function isPublicIPv4(ip: string): boolean {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((n) => !Number.isInteger(n) || n > 255)) return false;
  const [a, b] = p as [number, number, number, number];
  if (a === 10 || a === 127 || a === 0 || a >= 224) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 169 && b === 254) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  return true;
}

/** One cheap test before the per-indicator regexes: most strings mention none of these. */
export const ENDPOINT_HINT = /webhook|telegram|pastebin|pipedream|ngrok|oast|interact|burp|requestbin|requestcatcher|beeceptor|canarytoken|dnslog|ceye|callback|transfer\.sh|file\.io|0x0\.st|gofile|ifconfig|ipify|ipinfo|ip-api|icanhazip|checkip|ipecho|myexternalip|:\/\/\d/i;

export function matchIndicator(list: Indicator[], text: string): Indicator | undefined {
  for (const ind of list) if (ind.re.test(text)) return ind;
  return undefined;
}

/** Files that hold credentials. `strong` ones have no business being read by a library. */
export interface CredentialPath extends Indicator {
  strong: boolean;
  /** AI tools' credentials or config (scored as AI key access at install). */
  ai?: boolean;
  /** Crypto wallet storage. */
  wallet?: boolean;
}

/**
 * Browser-extension IDs of crypto wallets (Chrome Web Store IDs). Stealers read the extensions'
 * storage (`…/Local Extension Settings/<id>`), where the encrypted vaults live.
 */
export const WALLET_EXTENSIONS: Record<string, string> = {
  nkbihfbeogaeaoehlefnkodbefgpgknn: 'MetaMask',
  ejbalbakoplchlghecdalmeeeajnimhm: 'MetaMask (Edge)',
  bfnaelmomeimhlpmgjnjophhpkkoljpa: 'Phantom',
  hnfanknocfeofbddgcijnmhnfnkdnaad: 'Coinbase Wallet',
  egjidjbpglichdcondbcbdnbeeppgdph: 'Trust Wallet',
  fhbohimaelbohpjbbldcngcnapndodjp: 'Binance Wallet',
  ibnejdfjmmkpcnlpebklmnkoeoihofec: 'TronLink',
  aholpfdialjgjfhomihkjbmgjidlcdno: 'Exodus Web3',
  fnjhmkhhmkbjkkabndcnnogagogbneec: 'Ronin',
  dmkamcknogkgcdfhhbddcghachkejeap: 'Keplr',
  bhhhlbepdkbapadjdnnojkbgioiodbic: 'Solflare',
  acmacodkjbdgmoleebolmdjonilkdbch: 'Rabby',
  mcohilncbfahbmbdmkmnebfmbjjeidmo: 'OKX Wallet',
  afbcbjpbpfadlkmhmclhkeeodmamcflc: 'Math Wallet',
  ffnbelfdoeiohenkjibnmadjiehjhajb: 'Yoroi',
  lpfcbjknijpeeillifnkikgncikgfhdo: 'Nami',
};
const WALLET_IDS = Object.keys(WALLET_EXTENSIONS).join('|');

/** Desktop wallets' files and the storage of wallet browser extensions. */
export const WALLET_PATHS: CredentialPath[] = [
  { re: new RegExp(`(?:Local Extension Settings|IndexedDB|Extensions|Sync Extension Settings)/(?:chrome-extension_)?(?:${WALLET_IDS})(?:[/_]|$)`, 'i'), label: 'crypto wallet extension storage', strong: true, wallet: true },
  { re: new RegExp(`^(?:${WALLET_IDS})$`), label: 'crypto wallet extension ID', strong: false, wallet: true },
  { re: /(?:^|\/)\.?electrum(?:-ltc)?\/wallets(?:\/|$)/i, label: 'Electrum wallets', strong: true, wallet: true },
  { re: /(?:^|\/)exodus\.wallet(?:\/|$)|(?:^|\/)Exodus\/(?:exodus\.conf\.json|seed\.seco)/i, label: 'Exodus wallet', strong: true, wallet: true },
  { re: /(?:^|\/)atomic\/Local Storage\/leveldb/i, label: 'Atomic wallet', strong: true, wallet: true },
  { re: /(?:^|\/)\.?ethereum\/keystore(?:\/|$)/i, label: 'Ethereum keystore', strong: true, wallet: true },
  { re: /(?:^|\/)wallet\.dat$|(?:^|\/)\.?(?:bitcoin|litecoin|dogecoin|dash|zcash)\/wallets?(?:\/|$)|(?:^|\/)Monero\/wallets(?:\/|$)/i, label: 'cryptocurrency wallet file', strong: true, wallet: true },
  { re: /Coinomi\/Coinomi\/wallets|Guarda\/Local Storage|com\.liberty\.jaxx/i, label: 'desktop wallet storage', strong: true, wallet: true },
  { re: /(?:^|\/)\.config\/solana\/id\.json$/, label: 'Solana CLI keypair (~/.config/solana/id.json)', strong: false, wallet: true },
  { re: /(?:^|\/)Local Extension Settings(?:\/|$)/i, label: 'browser extension storage (where wallet vaults live)', strong: true, wallet: true },
];

export const CREDENTIAL_PATHS: CredentialPath[] = [
  ...AI_CREDENTIAL_PATHS,
  ...WALLET_PATHS,
  { re: /(?:^|[\/\\])\.npmrc$/i, label: 'npm auth token file (.npmrc)', strong: false },
  { re: /(?:^|[\/\\])\.ssh(?:[\/\\]|$)/i, label: 'SSH keys (~/.ssh)', strong: true },
  { re: /\bid_(?:rsa|dsa|ecdsa|ed25519)\b/i, label: 'SSH private key', strong: true },
  { re: /\.aws[\/\\](?:credentials|config)\b/i, label: 'AWS credentials', strong: true },
  { re: /\.config[\/\\]gcloud\b|application_default_credentials\.json/i, label: 'Google Cloud credentials', strong: true },
  { re: /(?:^|[\/\\])\.azure[\/\\]/i, label: 'Azure CLI credentials', strong: true },
  { re: /\.kube[\/\\]config\b/i, label: 'Kubernetes config', strong: true },
  { re: /\.docker[\/\\]config\.json\b/i, label: 'Docker registry credentials', strong: true },
  { re: /(?:^|[\/\\])\.git-credentials\b/i, label: 'git credential store', strong: true },
  { re: /(?:^|[\/\\])\.netrc\b/i, label: '.netrc credentials', strong: true },
  { re: /(?:^|[\/\\])\.config[\/\\]gh[\/\\]hosts\.yml/i, label: 'GitHub CLI token', strong: true },
  { re: /Google[\/\\]Chrome[\/\\]User Data|BraveSoftware[\/\\]Brave-Browser|Microsoft[\/\\]Edge[\/\\]User Data|Opera Software[\/\\]Opera|Yandex[\/\\]YandexBrowser|\.config[\/\\](?:google-chrome|chromium|BraveSoftware)/i, label: 'browser profile', strong: true },
  { re: /Mozilla[\/\\]Firefox(?:[\/\\]Profiles)?|\.mozilla[\/\\]firefox/i, label: 'Firefox profile', strong: true },
  { re: /Local Storage[\/\\]leveldb|[\/\\]Login Data$|[\/\\](?:Network[\/\\])?Cookies$|[\/\\]Local State$|[\/\\]logins\.json$|[\/\\]key[34]\.db$/, label: 'browser credential store', strong: true },
  { re: /(?:Roaming|\.config)[\/\\]discord(?:ptb|canary)?\b/i, label: 'Discord token store', strong: true },
  { re: /(?:^|[\/\\])\.bash_history$|(?:^|[\/\\])\.zsh_history$/i, label: 'shell history', strong: true },
  { re: /(?:^|[\/\\])\.env(?:\.local|\.production)?$/i, label: '.env secrets file', strong: false },
];

/** One cheap test before the per-path regexes. */
export const CREDENTIAL_HINT = /\.(?:ssh|aws|npmrc|azure|kube|docker|git-credentials|netrc|config|env|bash_history|zsh_history)|id_(?:rsa|dsa|ecdsa|ed25519)|chrome|brave|edge|opera|yandex|firefox|mozilla|leveldb|login data|cookies|local state|logins\.json|key[34]\.db|discord/i;

const WALLET_HINT = /electrum|exodus|atomic|ethereum|wallet|solana|extension settings|indexeddb|extensions|coinomi|guarda|jaxx|monero|[a-p]{32}/i;

export function matchCredentialPath(p: string): CredentialPath | undefined {
  if (!CREDENTIAL_HINT.test(p) && !AI_CREDENTIAL_HINT.test(p) && !WALLET_HINT.test(p)) return undefined;
  const s = p.replace(/\\/g, '/');
  for (const c of CREDENTIAL_PATHS) if (c.re.test(s)) return c;
  return undefined;
}

/** Environment variable names that hold secrets. */
export const SECRET_ENV_NAME = /(?:TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|AUTH|SESSION|COOKIE|MNEMONIC|SEED)(?:_|$)/i;
/** Names that look like secrets but are configuration. */
export const NON_SECRET_ENV_NAME = /^(?:NODE_AUTH_TOKEN_PATH|.*_(?:PATH|FILE|DIR|URL|HOST|PORT|ENABLED|DISABLED|MODE|LEVEL|TIMEOUT)|AUTHOR.*|.*AUTH_?(?:TYPE|METHOD|MODE))$/i;

/**
 * Shell fragments that fetch something from the network. Every gap is bounded ({0,512}, {0,16}):
 * an unbounded `[^|;&]*` or `(?:-\w+\s+)*` is retried from every `curl` or `powershell` in the text,
 * and "curl curl curl…" (828 bytes gzipped) took 51 s of CPU. test/redos.test.ts holds it linear.
 */
export const SHELL_DOWNLOAD = /\b(?:curl|wget)\b[^|;&]{0,512}\|\s{0,16}(?:sudo\s+)?(?:(?:ba|z|da)?sh|node|python3?|perl|ruby|php)\b|\b(?:ba|z|da)?sh\s+-c\s+["']?\$\(\s*(?:curl|wget)\b|\b(?:node|python3?)\s+-(?:e|c)\s+["']?\$\(\s*(?:curl|wget)\b|\b(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod|Net\.WebClient|DownloadString|DownloadFile)\b[\s\S]{0,300}?(?:\|\s*iex\b|Invoke-Expression|\biex\b)|powershell(?:\.exe)?\s+(?:-\w{1,32}\s+){0,16}-(?:e|en|enc|encodedcommand)\s+[A-Za-z0-9+\/=]{16,}|\bbase64\s+(?:-d|--decode)\b[^|;&]{0,512}\|\s*(?:ba)?sh\b|\b(?:curl|wget)\b[^;&|]{0,512}?(?:-o|-O|--output)\s*\S{1,512}?\s*(?:&&|;)\s*(?:chmod\s+\+x|\.\/|sh\s|bash\s|node\s)/i;
export const SHELL_FETCH = /\b(?:curl|wget|iwr|irm|Invoke-WebRequest|Invoke-RestMethod|nslookup|dig|nc|ncat|netcat|ping)\b/i;
export const SHELL_RECON = /\b(?:whoami|hostname|uname\s+-a|\bid\b|cat\s+\/etc\/passwd|ifconfig|ip\s+addr|env\b|printenv|pwd)\b/i;
