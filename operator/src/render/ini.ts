// INI (oslo.config style) writer and parser: config files are rendered from section -> key -> value maps
// and parsed back in tests.
import type { ConfigOverrides } from '../api/types.js';

export type IniDocument = Record<string, Record<string, string>>;

/**
 * Writes sections in the given order ([DEFAULT] first when present), keys in insertion order.
 * Empty sections are omitted. Values are written verbatim (oslo.config needs no quoting).
 */
export function renderIni(doc: IniDocument): string {
  const names = Object.keys(doc);
  const ordered = names.includes('DEFAULT') ? ['DEFAULT', ...names.filter((n) => n !== 'DEFAULT')] : names;
  const chunks: string[] = [];
  for (const name of ordered) {
    const section = doc[name] ?? {};
    const keys = Object.keys(section);
    if (keys.length === 0) continue;
    chunks.push(`[${name}]\n${keys.map((k) => `${k} = ${section[k]}`).join('\n')}\n`);
  }
  return chunks.join('\n');
}

/** Parses an INI file: `[section]` headers, `key = value` lines, `#`/`;` comments. Later keys win. */
export function parseIni(text: string): IniDocument {
  const doc: IniDocument = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = header[1] as string;
      current = doc[name] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !current) throw new Error(`unparseable INI line: ${raw}`);
    current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return doc;
}

/** Deep-merges INI layers left to right (later layers win per key); returns a new document. */
export function mergeIni(...layers: (IniDocument | ConfigOverrides | undefined)[]): IniDocument {
  const out: IniDocument = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [section, values] of Object.entries(layer)) {
      const target = (out[section] ??= {});
      for (const [key, value] of Object.entries(values ?? {})) target[key] = String(value);
    }
  }
  return out;
}
