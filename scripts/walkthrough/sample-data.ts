/**
 * Deterministic sample customers as CSV, with the answers known by construction (not computed
 * by OpenXP's code): how many rows fail, how many people (graphs) there are, who is in each audience.
 */
export interface SampleData {
  csv: string;
  expected: { rows: number; failedRows: number; profiles: number; usGold: number; highValueNonUs: number };
}

const COUNTRIES = ['US', 'US', 'US', 'CA', 'GB', 'DE', 'FR'];
const TIERS = ['bronze', 'silver', 'gold', 'platinum'];
const FIRST = ['Ana', 'Ben', 'Chloé', 'Dev', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jun'];
const LAST = ['Smith', "O'Neil", 'García', 'Nguyen', 'Kowalski', 'Okafor', 'Rossi', 'Schmidt'];

/** Small seeded PRNG (mulberry32) so the same seed gives the same file everywhere. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const q = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
export const HEADER = ['customer_id', 'email', 'phone', 'first_name', 'last_name', 'birth_date', 'country', 'city', 'loyalty_points', 'loyalty_tier'];

export function generateCustomers(n: number, seed = 42): SampleData {
  const rand = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const lines = [HEADER.join(',')];
  let usGold = 0;
  let highValueNonUs = 0;
  let rows = 0;
  const row = (cells: string[]) => {
    lines.push(cells.map(q).join(','));
    rows++;
  };
  for (let i = 1; i <= n; i++) {
    const email = `customer${i}@example.com`;
    const phone = `+1555${String(1000000 + i).slice(1)}`;
    const country = pick(COUNTRIES);
    let tier = pick(TIERS);
    let points = Math.floor(rand() * 10000);
    const birth = `${1950 + Math.floor(rand() * 55)}-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`;
    row([`C${i}`, email, phone, pick(FIRST), pick(LAST), birth, country, `City ${i % 97}`, String(points), tier]);
    if (i % 10 === 0) {
      // The same person again, email in another case with spaces: one fragment, newer values win.
      tier = TIERS[(TIERS.indexOf(tier) + 1) % TIERS.length];
      points += 250;
      row([`C${i}`, `  ${email.toUpperCase()} `, '', '', '', '', '', '', String(points), tier]);
    }
    if (i % 25 === 0) {
      // A second email sharing the phone: linked into the same identity graph.
      row([`C${i}`, `alt${i}@example.org`, phone, '', '', '', '', '', '', '']);
    }
    if (country === 'US' && (tier === 'gold' || tier === 'platinum')) usGold++;
    if (country !== 'US' && points >= 5000) highValueNonUs++;
  }
  const bad = [
    ['B1', 'bad-date@example.com', '', 'Bad', 'Date', '1990-13-45', 'US', 'X', '10', 'gold'],
    ['B2', 'bad-points@example.com', '', 'Bad', 'Points', '1990-01-01', 'US', 'X', 'lots', 'gold'],
    ['B3', '', '', 'No', 'Identity', '1990-01-01', 'US', 'X', '10', 'gold'],
    ['B4', 'null', '', 'Blocked', 'Value', '1990-01-01', 'US', 'X', '10', 'gold'],
  ];
  const failed = Math.max(1, Math.floor(n / 500));
  for (let k = 0; k < failed; k++) row(bad[k % bad.length].map((c, j) => (j === 0 ? `${c}-${k}` : c)));
  lines.push('C-corrupt,only,three');
  rows++;
  return { csv: `${lines.join('\n')}\n`, expected: { rows, failedRows: failed + 1, profiles: n, usGold, highValueNonUs } };
}
