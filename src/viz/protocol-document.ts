/**
 * The project's protocol document (docs/protocol.md, shipped with the npm and Debian
 * packages) as HTML for the auditors' page, which carries it whole so that every §
 * reference is a link that works offline. Its anchors (`#s1` … `#s10`) are in the
 * document itself.
 */
import { readFile } from 'node:fs/promises';
import { marked } from 'marked';

/** docs/protocol.md beside src/ or dist/ (the packages ship docs/ next to dist/). */
export const PROTOCOL_DOCUMENT = new URL('../../docs/protocol.md', import.meta.url);

/** The anchor of a § reference ('§5' → 's5'). */
export function sectionAnchor(section: string): string {
  return `s${section.replace(/^§/, '')}`;
}

export async function protocolDocumentHtml(): Promise<string> {
  return marked.parse(await readFile(PROTOCOL_DOCUMENT, 'utf8'), { async: false });
}
