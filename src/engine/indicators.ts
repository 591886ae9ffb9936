import { AI_CREDENTIAL_PATHS } from './ai-indicators.js';
import { hintRegex, type Hinted } from '../catalog/hints.js';

/**
 * Shared indicator lists used by several rules. Each entry says why it is there; lists stay
 * short and specific, because a broad pattern here becomes a false positive everywhere.
 */

export interface Indicator {
  re: RegExp;
  label: string;
}

/** A host or URL shape of the catalog: its test, the text that test needs (tier 0), an example. */
export interface Endpoint extends Indicator, Hinted {}

/** Services that exist to receive data from strangers: where stolen data is sent. */
export const EXFIL_ENDPOINTS: Endpoint[] = [
  { re: /discord(?:app)?\.com\/api\/webhooks\//i, hint: /discord/, label: 'Discord webhook', example: 'https://discord.com/api/webhooks/1/x' },
  { re: /hooks\.slack\.com\/(?:services|workflows)\//i, hint: /hooks\.slack\.com/, label: 'Slack webhook', example: 'https://hooks.slack.com/services/T0/B0/x' },
  { re: /api\.telegram\.org\/bot/i, hint: /api\.telegram/, label: 'Telegram bot API', example: 'https://api.telegram.org/bot1:x/sendMessage' },
  { re: /\boapi\.dingtalk\.com\/robot\/send\b/i, hint: /oapi\.dingtalk\.com/, label: 'DingTalk robot webhook', example: 'https://oapi.dingtalk.com/robot/send?access_token=x' },
  { re: /\bpastebin\.com\/(?:api|raw)/i, hint: /pastebin/, label: 'Pastebin', example: 'https://pastebin.com/api/api_post.php' },
  { re: /\bwebhook\.site\b/i, hint: /webhook/, label: 'webhook.site', example: 'https://webhook.site/x' },
  { re: /\bpipedream\.net\b/i, hint: /pipedream/, label: 'Pipedream', example: 'https://x.m.pipedream.net/' },
  { re: /[a-z0-9-]\.ngrok(?:-free)?\.(?:io|app|dev)\b/i, hint: /ngrok/, label: 'ngrok tunnel', example: 'https://x1.ngrok-free.app/c' },
  { re: /[a-z0-9.-]\.(?:oast\.(?:fun|pro|live|site|online|me)|interact\.sh|interactsh\.com)\b/i, hint: /oast\.|interact\.sh|interactsh/, label: 'interactsh/OAST callback', example: 'https://x.oast.fun/' },
  { re: /\bburpcollaborator\.net\b|\boastify\.com\b/i, hint: /burpcollaborator|oastify/, label: 'Burp Collaborator', example: 'https://x.oastify.com/' },
  { re: /\brequestbin\.(?:net|com)\b|\benjgm\w{0,64}\.x\.pipedream\.net\b|\brequestcatcher\.com\b|\bbeeceptor\.com\b/i, hint: /requestbin|pipedream|requestcatcher|beeceptor/, label: 'request bin', example: 'https://x.requestcatcher.com/' },
  { re: /\bcanarytokens\.com\b|\bdnslog\.cn\b|\bceye\.io\b|\bbind9-or-callback-server\.com\b/i, hint: /canarytoken|dnslog|ceye\.io|callback-server/, label: 'DNS/HTTP callback logger', example: 'http://x.dnslog.cn/' },
  { re: /\btransfer\.sh\b|\bfile\.io\b|\b0x0\.st\b|\bgofile\.io\b/i, hint: /transfer\.sh|file\.io|0x0\.st|gofile/, label: 'anonymous file drop', example: 'https://transfer.sh/upload' },
];

/** Services that tell a program its public IP or location: recon in install code. */
export const RECON_ENDPOINTS: Endpoint[] = [
  { re: /\bifconfig\.(?:me|co|io)\b/i, hint: /ifconfig\./, label: 'ifconfig IP lookup', example: 'https://ifconfig.me/ip' },
  { re: /\bapi[46]?\.ipify\.org\b/i, hint: /ipify/, label: 'ipify IP lookup', example: 'https://api.ipify.org?format=json' },
  { re: /\bipinfo\.io\b/i, hint: /ipinfo\.io/, label: 'ipinfo lookup', example: 'https://ipinfo.io/json' },
  { re: /\bip-api\.com\b/i, hint: /ip-api/, label: 'ip-api lookup', example: 'http://ip-api.com/json' },
  { re: /\bicanhazip\.com\b|\bcheckip\.amazonaws\.com\b|\bipecho\.net\b|\bmyexternalip\.com\b/i, hint: /icanhazip|checkip|ipecho|myexternalip/, label: 'IP lookup', example: 'https://icanhazip.com/' },
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

/**
 * One cheap test before the per-indicator regexes: most strings mention none of these. Built from
 * the entries' hints, and a URL whose host starts with a digit (a raw IP).
 */
export const ENDPOINT_HINT = hintRegex([...EXFIL_ENDPOINTS, ...RECON_ENDPOINTS], [':\\/\\/\\d']);

export function matchIndicator(list: Indicator[], text: string): Indicator | undefined {
  for (const ind of list) if (ind.re.test(text)) return ind;
  return undefined;
}

/** Files that hold credentials. `strong` ones have no business being read by a library. */
export interface CredentialPath extends Indicator, Hinted {
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
  { re: new RegExp(`(?:Local Extension Settings|IndexedDB|Extensions|Sync Extension Settings)/(?:chrome-extension_)?(?:${WALLET_IDS})(?:[/_]|$)`, 'i'), hint: new RegExp(WALLET_IDS), label: 'crypto wallet extension storage', strong: true, wallet: true, example: '~/Library/Application Support/Google/Chrome/Default/Local Extension Settings/nkbihfbeogaeaoehlefnkodbefgpgknn' },
  { re: new RegExp(`^(?:${WALLET_IDS})$`), hint: new RegExp(WALLET_IDS), label: 'crypto wallet extension ID', strong: false, wallet: true, example: 'bfnaelmomeimhlpmgjnjophhpkkoljpa' },
  { re: /(?:^|\/)\.?electrum(?:-ltc)?\/wallets(?:\/|$)/i, hint: /[eE]lectrum/, label: 'Electrum wallets', strong: true, wallet: true, example: '~/.electrum/wallets/default_wallet' },
  { re: /(?:^|\/)exodus\.wallet(?:\/|$)|(?:^|\/)Exodus\/(?:exodus\.conf\.json|seed\.seco)/i, hint: /exodus\.wallet|[eE]xodus[\\/](?:exodus\.conf|seed\.seco)|(?<![\w$@-])Exodus['"`]/, label: 'Exodus wallet', strong: true, wallet: true, example: '~/AppData/Roaming/Exodus/exodus.wallet/seed.seco' },
  { re: /(?:^|\/)atomic\/Local Storage\/leveldb/i, hint: /(?<![\w$-])[aA]tomic[\\/'"`]/, label: 'Atomic wallet', strong: true, wallet: true, example: '~/AppData/Roaming/atomic/Local Storage/leveldb' },
  { re: /(?:^|\/)\.?ethereum\/keystore(?:\/|$)/i, hint: /[eE]thereum/, label: 'Ethereum keystore', strong: true, wallet: true, example: '~/.ethereum/keystore' },
  { re: /(?:^|\/)wallet\.dat$|(?:^|\/)\.?(?:bitcoin|litecoin|dogecoin|dash|zcash)\/wallets?(?:\/|$)|(?:^|\/)Monero\/wallets(?:\/|$)/i, hint: /wallet\.dat|(?<![\w$ -])[wW]allets?(?![\w$ -])/, label: 'cryptocurrency wallet file', strong: true, wallet: true, example: '~/.bitcoin/wallet.dat' },
  { re: /Coinomi\/Coinomi\/wallets|Guarda\/Local Storage|com\.liberty\.jaxx/i, hint: /Coinomi|Guarda|jaxx/, label: 'desktop wallet storage', strong: true, wallet: true, example: '~/AppData/Local/Coinomi/Coinomi/wallets' },
  { re: /(?:^|\/)\.config\/solana\/id\.json$/, hint: /(?<![\w$-])id\.json/, label: 'Solana CLI keypair (~/.config/solana/id.json)', strong: false, wallet: true, example: '~/.config/solana/id.json' },
  { re: /(?:^|\/)Local Extension Settings(?:\/|$)/i, hint: /Local Extension Settings/, label: 'browser extension storage (where wallet vaults live)', strong: true, wallet: true, example: '~/.config/google-chrome/Default/Local Extension Settings' },
];

export const CREDENTIAL_PATHS: CredentialPath[] = [
  ...AI_CREDENTIAL_PATHS,
  ...WALLET_PATHS,
  { re: /(?:^|[\/\\])\.npmrc$/i, hint: /\.npmrc/, label: 'npm auth token file (.npmrc)', strong: false, example: '~/.npmrc' },
  { re: /(?:^|[\/\\])\.ssh(?:[\/\\]|$)/i, hint: /(?<![\w$])\.ssh(?![\w$])/, label: 'SSH keys (~/.ssh)', strong: true, example: '~/.ssh' },
  { re: /\bid_(?:rsa|dsa|ecdsa|ed25519)\b/i, hint: /id_(?:rsa|dsa|ecdsa|ed25519)/, label: 'SSH private key', strong: true, example: 'deploy/keys/id_ed25519' },
  { re: /\.aws[\/\\](?:credentials|config)\b/i, hint: /\.aws(?![\w$.])/, label: 'AWS credentials', strong: true, example: '~/.aws/credentials' },
  { re: /\.config[\/\\]gcloud\b|application_default_credentials\.json/i, hint: /gcloud|application_default_credentials/, label: 'Google Cloud credentials', strong: true, example: '~/.config/gcloud/application_default_credentials.json' },
  { re: /(?:^|[\/\\])\.azure[\/\\]/i, hint: /(?<![\w$])\.azure(?![\w$])/, label: 'Azure CLI credentials', strong: true, example: '~/.azure/msal_token_cache.json' },
  { re: /\.kube[\/\\]config\b/i, hint: /\.kube(?![\w$.])/, label: 'Kubernetes config', strong: true, example: '~/.kube/config' },
  { re: /\.docker[\/\\]config\.json\b/i, hint: /\.docker(?![\w$.])/, label: 'Docker registry credentials', strong: true, example: '~/.docker/config.json' },
  { re: /(?:^|[\/\\])\.git-credentials\b/i, hint: /\.git-credentials/, label: 'git credential store', strong: true, example: '~/.git-credentials' },
  { re: /(?:^|[\/\\])\.netrc\b/i, hint: /\.netrc/, label: '.netrc credentials', strong: true, example: '~/.netrc' },
  { re: /(?:^|[\/\\])\.config[\/\\]gh[\/\\]hosts\.yml/i, hint: /hosts\.yml/, label: 'GitHub CLI token', strong: true, example: '~/.config/gh/hosts.yml' },
  { re: /Google[\/\\]Chrome[\/\\]User Data|BraveSoftware[\/\\]Brave-Browser|Microsoft[\/\\]Edge[\/\\]User Data|Opera Software[\/\\]Opera|Yandex[\/\\]YandexBrowser|\.config[\/\\](?:google-chrome|chromium|BraveSoftware)/i, hint: /User Data|BraveSoftware|Opera Software|YandexBrowser|google-chrome|(?<![\w$ -])chromium(?=[\\/'"`])/, label: 'browser profile', strong: true, example: '~/AppData/Local/Google/Chrome/User Data' },
  { re: /Mozilla[\/\\]Firefox(?:[\/\\]Profiles)?|\.mozilla[\/\\]firefox/i, hint: /[mM]ozilla[\\/][fF]irefox|(?<![\w$])\.mozilla(?=[\\/'"`])/, label: 'Firefox profile', strong: true, example: '~/.mozilla/firefox' },
  { re: /Local Storage[\/\\]leveldb|[\/\\]Login Data$|[\/\\](?:Network[\/\\])?Cookies$|[\/\\]Local State$|[\/\\]logins\.json$|[\/\\]key[34]\.db$/, hint: /Local Storage|Login Data|(?<![\w$ -])(?:Cookies|Local State|logins\.json|key[34]\.db)/, label: 'browser credential store', strong: true, example: '~/Library/Application Support/Vivaldi/Default/Login Data' },
  { re: /(?:Roaming|\.config)[\/\\]discord(?:ptb|canary)?\b/i, hint: /[dD]iscord/, label: 'Discord token store', strong: true, example: '~/.config/discord/settings.json' },
  { re: /(?:^|[\/\\])\.bash_history$|(?:^|[\/\\])\.zsh_history$/i, hint: /\.(?:bash|zsh)_history/, label: 'shell history', strong: true, example: '~/.bash_history' },
  { re: /(?:^|[\/\\])\.env(?:\.local|\.production)?$/i, hint: /(?<![\w$)\]}])\.env(?:\.local|\.production)?(?![\w$])/, label: '.env secrets file', strong: false, example: '~/.env' },
];

/** One cheap test before the per-path regexes: the entries' hints. */
export const CREDENTIAL_HINT = hintRegex(CREDENTIAL_PATHS);

export function matchCredentialPath(p: string): CredentialPath | undefined {
  if (!CREDENTIAL_HINT.test(p)) return undefined;
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
