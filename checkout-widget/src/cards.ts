/**
 * Card and UPI input rules, shared by the hosted payment page and its unit tests. Pure functions:
 * no DOM, no network. They mirror the gateway's own checks (shared/cards.py, shared/models.py) so
 * the shopper hears about a typo before any request is made.
 */

export type NetworkId = "visa" | "mastercard" | "amex" | "rupay" | "discover" | "diners" | "jcb";

export interface Network {
  readonly id: NetworkId;
  readonly label: string;
  /** Valid total lengths of the number. */
  readonly lengths: readonly number[];
  readonly cvvLength: 3 | 4;
  /** Group sizes used to format the number as it is typed. */
  readonly groups: readonly number[];
}

type Range = readonly [low: number, high: number];

const STANDARD_GROUPS = [4, 4, 4, 4, 3] as const;

// Order matters: RuPay's 652150–653149 sits inside Discover's 65, so RuPay is tried first
// (the same order as the gateway's shared/cards.py).
const NETWORKS: readonly (Network & { readonly ranges: readonly Range[] })[] = [
  { id: "amex", label: "American Express", lengths: [15], cvvLength: 4, groups: [4, 6, 5], ranges: [[34, 34], [37, 37]] },
  {
    id: "rupay",
    label: "RuPay",
    lengths: [16],
    cvvLength: 3,
    groups: STANDARD_GROUPS,
    ranges: [
      [508227, 508227],
      [508500, 508999],
      [606985, 607984],
      [608001, 608500],
      [652150, 653149],
      [817290, 817290],
    ],
  },
  { id: "visa", label: "Visa", lengths: [13, 16, 19], cvvLength: 3, groups: STANDARD_GROUPS, ranges: [[4, 4]] },
  {
    id: "mastercard",
    label: "Mastercard",
    lengths: [16],
    cvvLength: 3,
    groups: STANDARD_GROUPS,
    ranges: [
      [51, 55],
      [2221, 2720],
    ],
  },
  {
    id: "diners",
    label: "Diners Club",
    lengths: [14, 16, 19],
    cvvLength: 3,
    groups: [4, 6, 4, 5],
    ranges: [
      [300, 305],
      [36, 36],
      [38, 39],
    ],
  },
  { id: "jcb", label: "JCB", lengths: [16, 17, 18, 19], cvvLength: 3, groups: STANDARD_GROUPS, ranges: [[3528, 3589]] },
  {
    id: "discover",
    label: "Discover",
    lengths: [16, 17, 18, 19],
    cvvLength: 3,
    groups: STANDARD_GROUPS,
    ranges: [
      [6011, 6011],
      [644, 649],
      [65, 65],
      [622126, 622925],
    ],
  },
];

/** Digits only; spaces and dashes between groups are dropped. Anything else gives null. */
export function normaliseNumber(value: string): string | null {
  const digits = value.replace(/[\s-]/g, "");
  return /^[0-9]*$/.test(digits) ? digits : null;
}

/**
 * The network a (possibly partial) number belongs to, as soon as its prefix decides it.
 * A prefix that could still become several networks (a lone "3" or "6") gives null.
 */
export function detectNetwork(digits: string): Network | null {
  for (const network of NETWORKS) {
    for (const [low, high] of network.ranges) {
      const width = String(low).length;
      if (digits.length < width) continue;
      const prefix = Number(digits.slice(0, width));
      if (prefix >= low && prefix <= high) {
        const { ranges: _ranges, ...info } = network;
        return info;
      }
    }
  }
  return null;
}

export function luhnValid(digits: string): boolean {
  if (!/^[0-9]+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The longest number this network (or an unknown one) allows. */
export function maxLength(network: Network | null): number {
  return network ? Math.max(...network.lengths) : 19;
}

/** "4111111111111111" → "4111 1111 1111 1111"; Amex "378282246310005" → "3782 822463 10005". */
export function formatNumber(digits: string, network: Network | null = detectNetwork(digits)): string {
  const groups = network?.groups ?? STANDARD_GROUPS;
  const parts: string[] = [];
  let at = 0;
  for (const size of groups) {
    if (at >= digits.length) break;
    parts.push(digits.slice(at, at + size));
    at += size;
  }
  if (at < digits.length) parts.push(digits.slice(at));
  return parts.join(" ");
}

/** A sentence for the shopper, or null when the number is acceptable. */
export function validateNumber(value: string): string | null {
  const digits = normaliseNumber(value);
  if (digits === null) return "Card number can only contain digits";
  if (digits.length === 0) return "Enter your card number";
  const network = detectNetwork(digits);
  const lengths = network?.lengths ?? [12, 13, 14, 15, 16, 17, 18, 19];
  if (!lengths.includes(digits.length)) {
    if (digits.length < Math.min(...lengths)) return "Card number is incomplete";
    return "Card number is too long";
  }
  if (!luhnValid(digits)) return "Card number is not valid; check for typos";
  return null;
}

export interface Expiry {
  readonly month: number;
  /** Four digits. */
  readonly year: number;
}

/** Accepts "MM/YY", "MM / YY", "MMYY", "MM/YYYY". Null when it cannot be read as a date. */
export function parseExpiry(value: string): Expiry | null {
  const match = /^\s*(\d{1,2})\s*[/\-.]?\s*(\d{2}|\d{4})\s*$/.exec(value);
  if (!match) return null;
  const month = Number(match[1]);
  let year = Number(match[2]);
  if (match[2]!.length === 2) year += 2000;
  if (month < 1 || month > 12) return null;
  return { month, year };
}

/** A card is valid through the last day of its expiry month. */
export function validateExpiry(value: string, now: Date = new Date()): string | null {
  if (value.trim() === "") return "Enter the expiry date";
  const expiry = parseExpiry(value);
  if (!expiry) return "Enter the expiry date as MM / YY";
  const thisYear = now.getFullYear();
  const thisMonth = now.getMonth() + 1;
  if (expiry.year < thisYear || (expiry.year === thisYear && expiry.month < thisMonth)) {
    return "This card has expired";
  }
  if (expiry.year > thisYear + 25) return "Expiry year is too far in the future";
  return null;
}

/** Formats typed expiry digits as "MM / YY"; a leading 2–9 becomes "0M". */
export function formatExpiry(value: string): string {
  let digits = value.replace(/\D/g, "").slice(0, 4);
  if (digits.length === 1 && digits > "1") digits = `0${digits}`;
  // No separator until the year starts: a trailing " / " would fight the shopper's backspace.
  if (digits.length <= 2) return digits;
  return `${digits.slice(0, 2)} / ${digits.slice(2)}`;
}

export function validateCvv(value: string, network: Network | null): string | null {
  const length = network?.cvvLength ?? 3;
  if (value === "") return "Enter the security code";
  if (!/^[0-9]+$/.test(value) || value.length !== length) {
    return `Security code must be ${length} digits`;
  }
  return null;
}

// The gateway's own pattern (shared/models.py), so what passes here passes there.
const VPA = /^[A-Za-z0-9][A-Za-z0-9.\-_]{1,255}@[A-Za-z][A-Za-z0-9]{1,63}$/;

export function validateVpa(value: string): string | null {
  const vpa = value.trim();
  if (vpa === "") return "Enter your UPI ID";
  if (!VPA.test(vpa)) return "Enter a UPI ID like name@bank";
  return null;
}

/**
 * Where the caret belongs after reformatting: just after the same count of digits as before.
 * Keeps typing in the middle of a number from throwing the caret to the end.
 */
export function caretAfterDigits(formatted: string, digitsBefore: number): number {
  if (digitsBefore <= 0) return 0;
  let seen = 0;
  for (let i = 0; i < formatted.length; i++) {
    if (/\d/.test(formatted[i]!)) seen++;
    if (seen === digitsBefore) return i + 1;
  }
  return formatted.length;
}
