/**
 * A reader for the one-line EDN maps of Jepsen histories, e.g.
 *   `{:process 0, :type :invoke, :f :get, :key "k", :value nil}`
 * Keys are keywords; values are nil, integers, keywords or strings (with the
 * escapes \" \\ \n \t \r). Nothing nested. Any other text is an error, reported
 * as the returned string.
 */

const keywordPattern = /:([A-Za-z_*!?+\-<>=][\w*!?+\-<>=.]*)/y;
const atomPattern = /(nil|-?\d+)(?=[\s,}]|$)/y;
const spacePattern = /[\s,]*/y;

/** An EDN value this reader understands. */
export type EdnValue = null | number | string | { readonly keyword: string };

/** The map read from `text`, or a description of what is wrong with it. */
export function readEdnMap(text: string): Map<string, EdnValue> | string {
  const reader = new Reader(text);
  return reader.readMap();
}

class Reader {
  private position = 0;

  constructor(private readonly text: string) {}

  readMap(): Map<string, EdnValue> | string {
    const result = new Map<string, EdnValue>();
    this.skipSpace();
    if (!this.take("{")) return "expected `{`";
    while (true) {
      this.skipSpace();
      if (this.take("}")) break;
      if (this.peek() !== ":") return `expected a keyword key at column ${this.position + 1}`;
      const key = this.readKeyword();
      if (key === "") return `empty keyword at column ${this.position + 1}`;
      if (result.has(key)) return `duplicate key :${key}`;
      this.skipSpace();
      const value = this.readValue();
      if (typeof value === "object" && value !== null && "error" in value) return value.error;
      result.set(key, value);
    }
    this.skipSpace();
    if (this.position !== this.text.length) return `unexpected text after the map at column ${this.position + 1}`;
    return result;
  }

  private readValue(): EdnValue | { error: string } {
    const start = this.position;
    const next = this.peek();
    if (next === ":") {
      const keyword = this.readKeyword();
      return keyword === "" ? { error: `empty keyword at column ${start + 1}` } : { keyword };
    }
    if (next === '"') return this.readString();
    atomPattern.lastIndex = start;
    const token = atomPattern.exec(this.text);
    if (token === null) return { error: `unreadable value at column ${start + 1}` };
    this.position += (token[1] as string).length;
    return token[1] === "nil" ? null : Number(token[1]);
  }

  private readString(): string | { error: string } {
    const start = this.position;
    this.position++;
    const plainEnd = this.text.indexOf('"', this.position);
    if (plainEnd >= 0 && !this.text.slice(this.position, plainEnd).includes("\\")) {
      const plain = this.text.slice(this.position, plainEnd);
      this.position = plainEnd + 1;
      return plain;
    }
    let result = "";
    while (this.position < this.text.length) {
      const character = this.text[this.position++] as string;
      if (character === '"') return result;
      if (character !== "\\") {
        result += character;
        continue;
      }
      const escaped = { '"': '"', "\\": "\\", n: "\n", t: "\t", r: "\r" }[this.text[this.position++] ?? ""];
      if (escaped === undefined) return { error: `bad escape in the string at column ${start + 1}` };
      result += escaped;
    }
    return { error: `unterminated string at column ${start + 1}` };
  }

  private readKeyword(): string {
    keywordPattern.lastIndex = this.position;
    const match = keywordPattern.exec(this.text);
    if (match === null) return "";
    this.position += match[0].length;
    return match[1] as string;
  }

  private skipSpace(): void {
    spacePattern.lastIndex = this.position;
    spacePattern.exec(this.text);
    this.position = spacePattern.lastIndex;
  }

  private peek(): string | undefined {
    return this.text[this.position];
  }

  private take(character: string): boolean {
    if (this.text[this.position] !== character) return false;
    this.position++;
    return true;
  }
}
