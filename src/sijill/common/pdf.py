"""Arabic PDFs, set up once: the Amiri font shipped with Sijill, Arabic shaped by HarfBuzz (fpdf2's text
shaping), right to left, and number runs (dates, cycle codes) kept left to right as a browser shows them."""

from __future__ import annotations

import logging
import re
from importlib import resources

from fpdf import FPDF

FONT = "Amiri"
logging.getLogger("fontTools").setLevel(logging.WARNING)  # its font subsetting logs every glyph at INFO
# Dates, months and cycle codes (2026-06, 2026-11-23, 21:40): fpdf2's bidi splits them at the hyphen in right-to-left
# text and prints 06-2026; an isolate (LRI ... PDI) keeps each one left to right.
NUMBER_RUN = re.compile(r"(?<![\u2066\d])\d+(?:[-/:.,]\d+)+")  # not one already isolated


def isolated(text: str) -> str:
    return NUMBER_RUN.sub(lambda m: f"\u2066{m.group()}\u2069", text)


def font_path(name: str) -> str:
    return str(resources.files("sijill.web") / "fonts" / name)


class ArabicPDF(FPDF):
    """An A4 page in Amiri (regular and bold), shaped; right to left unless ``rtl`` is False."""

    def __init__(self, rtl: bool = True, **kwargs):
        super().__init__(orientation="portrait", unit="mm", format="A4", **kwargs)
        self.rtl = rtl
        self.add_font(FONT, fname=font_path("Amiri-Regular.ttf"))
        self.add_font(FONT, style="B", fname=font_path("Amiri-Bold.ttf"))
        self.set_text_shaping(use_shaping_engine=True, direction="rtl" if rtl else "ltr",
                              script="arab" if rtl else "latn", language="ara" if rtl else "eng")

    @property
    def align(self) -> str:
        return "R" if self.rtl else "L"

    def normalize_text(self, text: str) -> str:
        """Every text written goes through here: in right-to-left pages, number runs are isolated."""
        return super().normalize_text(isolated(text) if self.rtl else text)
