/**
 * How a text travels as SMS: its encoding, its length in that encoding's units (GSM-7 septets or UTF-16 code
 * units), and how many segments a carrier bills for it.
 */
export interface SmsSegmentation {
  readonly encoding: 'GSM-7' | 'UCS-2';
  readonly characters: number;
  readonly segments: number;
}

// GSM 03.38 default alphabet. The escape character (0x1B) is left out: it only introduces the extension table.
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
// Reached through the escape character, so each takes two septets.
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');

const GSM_SINGLE = 160;
const GSM_PART = 153;
const UCS2_SINGLE = 70;
const UCS2_PART = 67;

export function smsSegments(text: string): SmsSegmentation {
  const gsm = gsmUnits(text);
  if (gsm !== undefined) return { encoding: 'GSM-7', ...segmentation(gsm, GSM_SINGLE, GSM_PART) };
  // Iterating a string yields code points, so a surrogate pair counts as one indivisible 2-unit character.
  const codeUnits = Array.from(text, (char) => char.length);
  return { encoding: 'UCS-2', ...segmentation(codeUnits, UCS2_SINGLE, UCS2_PART) };
}

/** Septets per character, or undefined when some character has no GSM-7 form. */
function gsmUnits(text: string): number[] | undefined {
  const units: number[] = [];
  for (const char of text) {
    if (GSM_BASIC.has(char)) units.push(1);
    else if (GSM_EXTENSION.has(char)) units.push(2);
    else return undefined;
  }
  return units;
}

function segmentation(units: number[], single: number, part: number): { characters: number; segments: number } {
  const characters = units.reduce((sum, size) => sum + size, 0);
  if (characters <= single) return { characters, segments: 1 };
  // A character never straddles two parts (phones would show garbage), so a part may end a unit short.
  let segments = 1;
  let used = 0;
  for (const size of units) {
    if (used + size > part) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return { characters, segments };
}
