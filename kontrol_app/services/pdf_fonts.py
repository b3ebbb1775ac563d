"""DejaVu Sans for fpdf2 documents, parsed once per process.

fpdf2's `add_font` parses the whole TrueType file for every document (about 40 ms for the
regular and bold faces), and its subset embedding then decodes the font's big tables again
(the glyph outlines, metrics and glyph names: another 30-50 ms). For a one-page invoice that
is many times the cost of the rest of the document. So, once per process and face:

1. the font is slimmed: the tables fpdf2 drops on embedding anyway (OpenType layout, kerning)
   go, and so do hinting instructions (PDF viewers scale outlines; hints only bloat the
   subset), glyph names (post format 3), legacy cmaps, and the names other than those fpdf2
   keeps when it subsets (IDs 0-6, in English); every glyph stays;
2. fpdf2 parses the slim font once (`TTFFont`: the cmap, widths, descriptor);
3. the glyph order, each glyph's bytes, the metrics and the cmap are kept, decoded.

Each document then gets a light copy of the parsed font: its own subset map and its own
`TTFont` whose big tables are fresh dicts over the shared, already decoded data (a glyph
becomes a fontTools object only when the subsetter asks for it). fpdf2 still embeds only the
glyphs the document uses, through its own subsetter. Shared data is only ever read, so
documents can be made in several threads at once. `output` first trims each font's cmap to
the characters used (see `_trim_cmaps`).

Without the font files (another OS), `has_unicode()` is False and callers fall back to the
core Helvetica font with `latin1` text.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools import ttLib
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
from fontTools.ttLib.tables._g_l_y_f import Glyph
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
FAMILY = "DejaVu"
CORE_FAMILY = "Helvetica"

# What the core fonts (Latin-1) cannot show, said another way.
FALLBACK = {
    "✓": "[x]",
    "✗": "[ ]",
    "☑": "[x]",
    "☐": "[ ]",
    "—": "-",
    "–": "-",
    "…": "...",
    "•": "*",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "→": "->",
    "€": "EUR",
    "₹": "INR",
    "·": "-",
}

_DROP = ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "kern", "gasp", "hdmx", "meta"]

_lock = threading.Lock()  # preparing a face, once
_faces: dict[str, _Face] = {}


@dataclass
class _Face:
    data: bytes  # the slim font file
    template: TTFFont  # fpdf2's parse of it, shared read-only
    glyph_order: list[str]
    glyph_ids: dict[str, int]
    outlines: dict[str, bytes]  # glyph name -> its bytes in the glyf table, as the file has them
    metrics: dict  # glyph name -> (advance, left side bearing)
    cmap_format: int
    cmap_ids: tuple[int, int]  # (platform, encoding) of the one cmap subtable
    cmap: dict[int, str]  # code point -> glyph name


class _Outlines(dict):
    """A glyf table's glyphs for one document: glyph name -> Glyph, each made from the shared
    bytes when first asked for (a document uses a few dozen of the font's 6,000 glyphs)."""

    def __getitem__(self, name: str) -> Glyph:
        value = dict.__getitem__(self, name)
        if isinstance(value, bytes):
            value = Glyph(value)
            dict.__setitem__(self, name, value)
        return value

    def get(self, name, default=None):
        return self[name] if name in self else default

    def values(self):
        return [self[name] for name in self]

    def items(self):
        return [(name, self[name]) for name in self]


def has_unicode() -> bool:
    return FONT_REGULAR.is_file() and FONT_BOLD.is_file()


def _slim(path: Path) -> bytes:
    font = ttLib.TTFont(str(path), recalcTimestamp=False)
    options = ftsubset.Options(
        notdef_outline=True,
        recommended_glyphs=True,
        glyph_names=False,
        hinting=False,
        legacy_cmap=False,
        layout_features=[],  # the names kept are fpdf2's own choice when it subsets: IDs 0-6, English
    )
    options.drop_tables += _DROP
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=font.getBestCmap().keys())  # every character the font has
    subsetter.subset(font)
    cmap = font["cmap"]
    # One Unicode cmap is enough: the full-repertoire one when there is one.
    best = [t for t in cmap.tables if (t.platformID, t.platEncID) == (3, 10)]
    cmap.tables = best or [t for t in cmap.tables if (t.platformID, t.platEncID) == (3, 1)]
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def _face(path: Path, style: str) -> _Face:
    key = f"{path}:{style}"
    face = _faces.get(key)
    if face is not None:
        return face
    with _lock:
        face = _faces.get(key)
        if face is None:
            data = _slim(path)
            template = TTFFont(FPDF(), io.BytesIO(data), f"{FAMILY.lower()}{style}", style)
            decoded = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
            [subtable] = decoded["cmap"].tables
            face = _Face(
                data=data,
                template=template,
                glyph_order=list(decoded.getGlyphOrder()),
                glyph_ids={name: index for index, name in enumerate(decoded.getGlyphOrder())},
                outlines={name: getattr(glyph, "data", b"") for name, glyph in decoded["glyf"].glyphs.items()},
                metrics=dict(decoded["hmtx"].metrics),
                cmap_format=subtable.format,
                cmap_ids=(subtable.platformID, subtable.platEncID),
                cmap=dict(subtable.cmap),
            )
            _faces[key] = face
    return face


def _attach(pdf: FPDF, face: _Face, family: str, style: str) -> None:
    """Add `face` to `pdf` as fpdf2's add_font would, without parsing anything."""
    fontkey = f"{family.lower()}{style}"
    font = TTFFont.__new__(TTFFont)
    for name in TTFFont.__slots__:
        if hasattr(face.template, name):
            setattr(font, name, getattr(face.template, name))
    font.i = len(pdf.fonts) + 1
    font.fontkey = fontkey
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    ttfont = ttLib.TTFont(io.BytesIO(face.data), recalcTimestamp=False, lazy=True)
    # The file's bounding boxes are right already: glyphs are copied as they are, never
    # decoded and compiled again (the subsetter renumbers composite glyphs' parts in place,
    # so each document has its own Glyph objects over the shared bytes).
    ttfont.recalcBBoxes = False
    ttfont.setGlyphOrder(list(face.glyph_order))
    ttfont._reverseGlyphOrderDict = dict(face.glyph_ids)  # what fontTools would build from the order
    glyf = ttLib.newTable("glyf")
    glyf.glyphs = _Outlines(face.outlines)
    glyf.glyphOrder = list(face.glyph_order)
    ttfont["glyf"] = glyf
    hmtx = ttLib.newTable("hmtx")
    hmtx.metrics = dict(face.metrics)
    ttfont["hmtx"] = hmtx
    cmap = ttLib.newTable("cmap")
    cmap.tableVersion = 0
    subtable = CmapSubtable.newSubtable(face.cmap_format)
    subtable.platformID, subtable.platEncID = face.cmap_ids
    subtable.language = 0
    subtable.cmap = dict(face.cmap)
    cmap.tables = [subtable]
    ttfont["cmap"] = cmap
    font.ttfont = ttfont
    font.subset = SubsetMap(font)
    pdf.fonts[fontkey] = font
    pdf.__dict__.setdefault("kontrol_faces", {})[fontkey] = face


def add_fonts(pdf: FPDF) -> bool:
    """Give `pdf` the DejaVu family (regular "" and bold "B"); False (and nothing added)
    without the font files. Call `output(pdf)` rather than `pdf.output()` afterwards."""
    if not has_unicode():
        return False
    _attach(pdf, _face(FONT_REGULAR, ""), FAMILY, "")
    _attach(pdf, _face(FONT_BOLD, "B"), FAMILY, "B")
    return True


def warm() -> None:
    """Prepare the faces now (1-2 s of font parsing), so the first invoice a worker sends is
    not the one that waits for it. The app calls this once at start, off the event loop."""
    if has_unicode():
        _face(FONT_REGULAR, "")
        _face(FONT_BOLD, "B")


def _trim_cmaps(pdf: FPDF) -> None:
    """Each of our fonts' cmap down to the characters the document used: the subsetter walks
    the whole cmap otherwise (6,000 entries per face), only to drop all but these. (The PDF
    finds glyphs by id; the embedded cmap is the same either way for the glyphs kept.)"""
    for fontkey, face in getattr(pdf, "kontrol_faces", {}).items():
        font = pdf.fonts[fontkey]
        used = {code for glyph, _ in font.subset.items() if glyph is not None for code in glyph.unicode}
        [subtable] = font.ttfont["cmap"].tables
        subtable.cmap = {code: face.cmap[code] for code in used if code in face.cmap}


def output(pdf: FPDF) -> bytes:
    """The document's bytes."""
    _trim_cmaps(pdf)
    return bytes(pdf.output())


def latin1(text: str) -> str:
    """`text` as the core fonts can show it: known symbols said another way, accents kept
    where Latin-1 has them, dropped where it does not, anything else "?"."""
    text = "".join(FALLBACK.get(ch, ch) for ch in unicodedata.normalize("NFC", text))
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
            continue
        plain = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
        out.append(plain or "?")
    return "".join(out)
