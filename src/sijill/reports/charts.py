"""Bar charts drawn on the server as SVG: no script, no CDN. The labels stay text in logical order, so the
browser shapes Arabic and orders mixed Arabic and digits itself (a picture of the text would need both
done by hand). Right to left, the labels sit on the right and the bars grow to the left."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from django.utils.safestring import SafeString, mark_safe

from .tables import Table

WIDTH, ROW, LABEL_WIDTH, PAD = 720, 26, 300, 6
LABEL_CHARS = 44  # longer labels are cut (the full one is the bar's tooltip)
BAR_COLOUR, TEXT_COLOUR = "#2b6a4f", "#1b1b1b"


def figure(value, kind: str) -> str:
    if kind == "percent":
        return f"{value:.1f}%"
    return f"{int(value):,}"


def bar_chart(table: Table, rtl: bool = True) -> SafeString:
    """One bar per row of ``table``: its first column is the label, ``table.chart`` the length."""
    if not table.chart or not table.rows:
        return mark_safe("")
    label_col = table.columns[0]
    value_col = next(c for c in table.columns if c.key == table.chart)
    values = [float(table.value(r, value_col) or 0) for r in table.rows]
    top = max(values) or 1.0
    room = WIDTH - LABEL_WIDTH - 2 * PAD - 70  # 70: space for the figure after the bar
    height = ROW * len(table.rows) + 2 * PAD
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" aria-label={quoteattr(table.title)}><title>{escape(table.title)}</title>']
    for i, (row, value) in enumerate(zip(table.rows, values, strict=True)):
        y = PAD + i * ROW
        length = room * value / top
        full = str(table.value(row, label_col))
        label = escape(full if len(full) <= LABEL_CHARS else full[: LABEL_CHARS - 1] + "…")
        shown = escape(figure(value, value_col.kind))
        if rtl:  # "start" of right-to-left text is its right edge
            label_x, bar_end = WIDTH - PAD, WIDTH - PAD - LABEL_WIDTH
            bar_x, number_x, number_anchor = bar_end - length, bar_end - length - 4, "end"
        else:
            label_x, bar_x = PAD, PAD + LABEL_WIDTH
            number_x, number_anchor = bar_x + length + 4, "start"
        direction = "rtl" if rtl else "ltr"
        parts.append(f'<text x="{label_x}" y="{y + ROW * 0.65:.1f}" direction="{direction}" text-anchor="start" '
                     f'font-size="13" fill="{TEXT_COLOUR}">{label}</text>')
        parts.append(f'<rect x="{bar_x:.1f}" y="{y + 4}" width="{max(length, 0.5):.1f}" height="{ROW - 8}" '
                     f'fill="{BAR_COLOUR}"><title>{escape(full)}</title></rect>')
        parts.append(f'<text x="{number_x:.1f}" y="{y + ROW * 0.65:.1f}" direction="ltr" '
                     f'text-anchor="{number_anchor}" font-size="12" fill="{TEXT_COLOUR}">{shown}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text in it was escaped above
