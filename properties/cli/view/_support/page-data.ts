/**
 * Reads the data a viewer page embeds (for tests that check a page without a browser).
 */
import type { PageData } from "../../../../src/cli/view/page-data.ts";

/** The page's embedded data. */
export function pageData(html: string): PageData {
  const match = /<script type="application\/json" id="dst-view-data">([^<]*)<\/script>/.exec(html);
  if (match === null) throw new Error("the page has no data element");
  return JSON.parse(match[1] as string) as PageData;
}
