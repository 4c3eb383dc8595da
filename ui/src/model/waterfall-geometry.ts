/** What the waterfall and its browser test share (no DOM here, so the test can import it). */

/** Height of one span's row, px: the waterfall places row i at i × ROW_HEIGHT. */
export const ROW_HEIGHT = 26;

/** The performance mark the page sets once the first rows of a trace are painted. */
export const WATERFALL_PAINTED_MARK = 'tracesift:waterfall-painted';
