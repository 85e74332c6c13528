"""What a colorized file says about how it was made: software, model, strength, and that its colour is
machine-made.

An archive hands colour versions on; years later nobody must take the colour of a 1920s street for a
record of it. So every output carries, in the places archive and photo tools read:

- XMP `Iptc4xmpExt:DigitalSourceType` = IPTC's `compositeWithTrainedAlgorithmicMedia` ("a mix or
  composite of one or more pieces of media with elements created by a trained algorithm"): the
  luminance is the scan's own, the colour comes from a trained network. `algorithmicallyEnhanced` is
  for changes that leave the content as it was (sharpening, noise reduction), and
  `trainedAlgorithmicMedia` for media made by a model from nothing but a prompt; neither fits;
- an XMP history event (`xmpMM:History`, the field Photoshop and Lightroom append to) with the software,
  model and strength;
- EXIF/TIFF `Software` (and PNG's `Software` text), which every viewer shows;
- `photoshop:ColorMode` set to RGB where the scan's XMP said greyscale (1) or another mode, since the
  pixels are now colour.

The source's XMP is edited as text, not re-serialised, so that everything else in it survives byte for
byte (its namespaces, its packet wrapper and whatever a DAM stored there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from colorsphere_gui import __version__

SOFTWARE = f"ColorSphere {__version__}"
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
PHOTOSHOP_RGB = "3"
_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "stEvt": "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
}
_EMPTY_PACKET = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
    f' <rdf:RDF xmlns:rdf="{_NS["rdf"]}">\n'
    " </rdf:RDF>\n"
    "</x:xmpmeta>\n"
    '<?xpacket end="w"?>'
)
# A property in either XMP form: attribute (prop="v" or 'v') or element (<prop>v</prop>).
_VALUE = r"""(?P<q>["'])(?P<v>[^"']*)(?P=q)"""


@dataclass(frozen=True)
class Provenance:
    """How an output was made; model and strength are left out of the record when not known."""

    model: str | None = None
    strength: float | None = None

    @property
    def software(self) -> str:
        return SOFTWARE

    def description(self) -> str:
        """One line for the history event: 'colorized with the builtin model at strength 1.00'."""
        how = f" with the {self.model} model" if self.model else ""
        if self.strength is not None:
            how += f" at strength {self.strength:.2f}"
        return f"colorized{how}"


def stamp_xmp(xmp: bytes | None, provenance: Provenance) -> bytes:
    """The source's XMP (or a new packet) with the colour mode fixed and the provenance added.

    XMP that is not an RDF packet is returned as it is: editing it blindly could make it unreadable,
    and the EXIF Software tag still records the software.
    """
    if xmp and b"</rdf:RDF>" not in xmp:  # not an RDF packet we can add to: kept as the source had it
        return xmp
    text = xmp.decode("utf-8", "replace") if xmp else _EMPTY_PACKET
    text = _set_property(text, "photoshop:ColorMode", PHOTOSHOP_RGB)
    text = _remove_property(text, "Iptc4xmpExt:DigitalSourceType")
    event = (  # stEvt declared here: the source may have bound another prefix to it, or none
        f'<rdf:li rdf:parseType="Resource" xmlns:stEvt={quoteattr(_NS["stEvt"])}>'
        "<stEvt:action>edited</stEvt:action>"
        f"<stEvt:softwareAgent>{escape(provenance.software)}</stEvt:softwareAgent>"
        f"<stEvt:parameters>{escape(provenance.description())}</stEvt:parameters>"
        "</rdf:li>"
    )
    history = re.search(r"</rdf:Seq>\s*</xmpMM:History>", text)
    props = f"<Iptc4xmpExt:DigitalSourceType>{DIGITAL_SOURCE_TYPE}</Iptc4xmpExt:DigitalSourceType>"
    if history:  # the source's own history goes on, with this step as its latest event
        text = text[: history.start()] + event + text[history.start() :]
    else:
        props += f"<xmpMM:History><rdf:Seq>{event}</rdf:Seq></xmpMM:History>"
    namespaces = " ".join(f"xmlns:{p}={quoteattr(_NS[p])}" for p in ("Iptc4xmpExt", "xmpMM"))
    description = f'  <rdf:Description rdf:about="" {namespaces}>{props}</rdf:Description>\n '
    end = text.rindex("</rdf:RDF>")
    return (text[:end] + description + text[end:]).encode("utf-8")


def _set_property(text: str, name: str, value: str) -> str:
    """Replace a simple property's value wherever the packet has it; absent, it stays absent."""
    text = re.sub(rf"({re.escape(name)}\s*=\s*){_VALUE}", lambda m: f"{m[1]}{m['q']}{value}{m['q']}", text)
    return re.sub(rf"(<{re.escape(name)}>)[^<]*(</{re.escape(name)}>)", rf"\g<1>{value}\g<2>", text)


def _remove_property(text: str, name: str) -> str:
    """Drop a simple property, so that the one added later is its only value."""
    text = re.sub(rf"\s{re.escape(name)}\s*=\s*{_VALUE}", "", text)
    return re.sub(rf"<{re.escape(name)}>[^<]*</{re.escape(name)}>", "", text)
