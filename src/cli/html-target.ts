import { checkHtmlTarget, HtmlReportError } from '../report/html.js';

/**
 * Checks an --html target before any scanning, so a long run does not end in a write error. Prints
 * the problem and returns false when the file cannot be written.
 */
export function htmlTargetUsable(html: string | undefined): boolean {
  if (html === undefined) return true;
  try {
    checkHtmlTarget(html);
    return true;
  } catch (err) {
    if (!(err instanceof HtmlReportError)) throw err;
    process.stderr.write(`tollgate: ${err.message}\n`);
    return false;
  }
}
