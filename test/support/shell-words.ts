/**
 * Splits a command line into words the way a POSIX shell does for the quoting perfbench prints:
 * single quotes keep everything literally, double quotes keep everything but \" \\ \$ \`, a
 * backslash outside quotes escapes the next character, blanks separate words. No expansion of
 * any kind: a `$` or `*` that reaches here unquoted is an error, because a shell would expand it.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let i = 0;
  const add = (text: string) => {
    word = (word ?? '') + text;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new Error(`unterminated ' in: ${line}`);
      add(line.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && '"\\$`'.includes(line[j + 1] ?? '')) j++;
        else if (line[j] === '$' || line[j] === '`') throw new Error(`unquoted expansion in: ${line}`);
        text += line[j++];
      }
      if (j >= line.length) throw new Error(`unterminated " in: ${line}`);
      add(text);
      i = j + 1;
    } else if (c === '\\') {
      add(line[i + 1] ?? '');
      i += 2;
    } else {
      if ('$`*?[]{}()<>|&;!#~'.includes(c)) throw new Error(`a shell would treat ${c} specially in: ${line}`);
      add(c);
      i++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}
