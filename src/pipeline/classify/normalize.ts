/**
 * Field-name normalization. Case, `_`, `-`, `.`, spaces, brackets and camelCase all fold away:
 * `src_ip`, `SrcIP`, `src-ip`, `Source IP` → `srcip` / `sourceip`; `cs(User-Agent)` → `csuseragent`.
 */
export function normalizeName(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32; // A-Z → a-z
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) out += String.fromCharCode(c);
  }
  return out;
}

/** Splits a dotted path into its segments, dropping array indices: `users[0].name` → [`users`, `name`]. */
export function pathSegments(path: string): string[] {
  const segs: string[] = [];
  for (const raw of path.split('.')) {
    const s = raw.replace(/\[\d*\]/g, '');
    if (s !== '') segs.push(s);
  }
  return segs;
}

/**
 * The names a path may be known by, most specific first: the whole path, then each shorter tail.
 * `properties.status.errorCode` → `propertiesstatuserrorcode`, `statuserrorcode`, `errorcode`.
 * A single key whose own name contains dots (`cisco.asa.source_username`) is split the same way.
 */
export function nameCandidates(path: string): string[] {
  const segs = pathSegments(path).map(normalizeName).filter((s) => s !== '');
  const out: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    const c = segs.slice(i).join('');
    if (c !== '' && !out.includes(c)) out.push(c);
  }
  return out;
}
