import { dirname, join } from 'node:path';
import ts from 'typescript';

const repoRoot = new URL('../../', import.meta.url).pathname;

/** A code block to type-check as its own module, and where it came from (for messages). */
export interface Snippet {
  readonly origin: string;
  /** The line of `origin` where the code starts. */
  readonly firstLine: number;
  readonly code: string;
}

/** Every fenced block of `language` in a Markdown text, with its line number. */
export function fencedBlocks(markdown: string, language: string, origin: string): Snippet[] {
  const blocks: Snippet[] = [];
  const fence = new RegExp('^```' + language + '\\n([\\s\\S]*?)^```', 'gm');
  for (const match of markdown.matchAll(fence)) {
    const fenceLine = markdown.slice(0, match.index).split('\n').length;
    blocks.push({ origin, firstLine: fenceLine + 1, code: match[1]! });
  }
  return blocks;
}

/**
 * Type-checks each snippet as an ES module of this repository, as a user of the package would
 * write it: `smt-rx` and its subpaths resolve to the sources (as `exports` maps them to the
 * build), every other import to node_modules. Returns the diagnostics, one string each.
 */
export function typecheckSnippets(snippets: readonly Snippet[]): string[] {
  const configPath = join(repoRoot, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (config === undefined) throw new Error(`cannot read ${configPath}`);
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    // Snippets show one feature each: an unused import or variable is not an error there.
    noUnusedLocals: false,
    noUnusedParameters: false,
    baseUrl: repoRoot,
    paths: { 'smt-rx': ['src/index.ts'], 'smt-rx/*': ['src/*/index.ts'] },
  };
  // In memory, inside the repository, so that its package.json makes them ES modules.
  const files = new Map(snippets.map((snippet, i) => [join(repoRoot, 'snippets', `snippet${i}.ts`), snippet]));
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (file) => files.has(file) || fileExists.call(host, file);
  host.readFile = (file) => files.get(file)?.code ?? readFile.call(host, file);
  host.getSourceFile = (file, language, onError, create) => {
    const snippet = files.get(file);
    return snippet === undefined ? getSourceFile.call(host, file, language, onError, create) : ts.createSourceFile(file, snippet.code, language);
  };
  host.directoryExists = (dir) => dir === dirname([...files.keys()][0] ?? '') || ts.sys.directoryExists(dir);
  const program = ts.createProgram([...files.keys()], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || files.has(d.file.fileName))
    .map((d) => {
      const snippet = d.file === undefined ? undefined : files.get(d.file.fileName)!;
      const line = d.file === undefined ? 0 : d.file.getLineAndCharacterOfPosition(d.start ?? 0).line;
      const where = snippet === undefined ? '' : `${snippet.origin}:${snippet.firstLine + line}: `;
      return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

/** The fenced TypeScript blocks of a source file's doc comments (`@example` and `## Example`). */
export function docCommentBlocks(source: string, origin: string): Snippet[] {
  const blocks: Snippet[] = [];
  for (const comment of source.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const commentLine = source.slice(0, comment.index).split('\n').length;
    const lines = comment[0].split('\n').map((line) => line.replace(/^\s*\* ?/, ''));
    const text = lines.join('\n');
    for (const block of fencedBlocks(text, 'ts', origin)) blocks.push({ ...block, firstLine: commentLine + block.firstLine - 1 });
  }
  return blocks;
}
