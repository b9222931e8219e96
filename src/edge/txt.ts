/**
 * TXT record content in the form Cloudflare's API documents for v6 `DnsRecord.content`: quoted
 * RFC 1035 character-strings of at most 255 bytes each. Cloudflare stores unquoted content as
 * given and flags it in the dashboard; it splits over-long strings on its own, and the stored
 * value then differs from the program's, which shows as a diff on every refresh. So the program
 * quotes and splits itself, and the value it sends is the value Cloudflare keeps.
 */

export const TXT_STRING_MAX_BYTES = 255;

function escape(text: string): string {
  return text.replace(/[\\"]/g, (c) => `\\${c}`);
}

/** Splits `text` into pieces of at most `max` UTF-8 bytes, never inside a character. */
function chunks(text: string, max: number): string[] {
  const out: string[] = [];
  let current = "";
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, "utf8");
    if (bytes + size > max) {
      out.push(current);
      current = "";
      bytes = 0;
    }
    current += char;
    bytes += size;
  }
  if (current !== "" || out.length === 0) out.push(current);
  return out;
}

/** `v=spf1 ~all` → `"v=spf1 ~all"`; a 400-byte DKIM key → two quoted strings. */
export function txtContent(text: string): string {
  return chunks(text, TXT_STRING_MAX_BYTES).map((piece) => `"${escape(piece)}"`).join(" ");
}

/**
 * The character-strings of a quoted TXT content (the inverse of `txtContent`); receivers
 * concatenate them, so `txtValue` is what SPF/DMARC/DKIM parsers see.
 */
export function txtStrings(content: string): string[] {
  const strings: string[] = [];
  const pattern = /\s*"((?:[^"\\]|\\.)*)"/gy;
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = pattern.exec(content)) !== null) {
    strings.push((match[1] ?? "").replace(/\\(.)/g, "$1"));
    end = pattern.lastIndex;
  }
  if (content.slice(end).trim() !== "" || strings.length === 0) {
    throw new Error(`not a quoted TXT content: ${content}`);
  }
  return strings;
}

export function txtValue(content: string): string {
  return txtStrings(content).join("");
}
