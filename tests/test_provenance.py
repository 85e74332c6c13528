"""Outputs say how they were made: software, model, strength, IPTC digital source type; colour mode RGB.

Every check reads the written file back (PNG, JPEG, TIFF, WebP) the way other tools would.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import tifffile
from PIL import Image

from colorsphere_gui import __version__
from colorsphere_gui.core import exif as exiftags
from colorsphere_gui.core.photo import Photo, read_photo
from colorsphere_gui.core.provenance import DIGITAL_SOURCE_TYPE, Provenance
from colorsphere_gui.core.writer import write_photo
from tests import fixtures_images as fx

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
IPTC_EXT = "{http://iptc.org/std/Iptc4xmpExt/2008-02-29/}"
PHOTOSHOP = "{http://ns.adobe.com/photoshop/1.0/}"
XMP_MM = "{http://ns.adobe.com/xap/1.0/mm/}"
ST_EVT = "{http://ns.adobe.com/xap/1.0/sType/ResourceEvent#}"
# What a scanning workflow leaves: greyscale mode and "digitised from a print" as attributes, a history.
SCAN_XMP = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    photoshop:ColorMode="1"
    Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/print">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Pier, 1921</rdf:li></rdf:Alt></dc:title>
   <xmpMM:History><rdf:Seq>
    <rdf:li rdf:parseType="Resource"><stEvt:action>created</stEvt:action>
     <stEvt:softwareAgent>EPSON Scan</stEvt:softwareAgent></rdf:li>
   </rdf:Seq></xmpMM:History>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
FORMATS = ["png", "jpg", "tiff", "webp"]


def scan(tmp_path: Path, xmp: bytes | None) -> Photo:
    src = read_photo(fx.save_png(tmp_path / "scan.png", fx.grey_ramp(24, 32)))
    src.meta.xmp = xmp
    return src


def written(tmp_path: Path, src: Photo, fmt: str, provenance: Provenance | None) -> Path:
    rgb = fx.colour_scene(24, 32).astype("float32") / 255
    return write_photo(rgb, src, tmp_path / "out" / f"scan.{fmt}", fmt, provenance=provenance)


def xmp_tree(path: Path) -> ET.Element:
    xmp = read_photo(path).meta.xmp
    assert xmp, f"{path.name} carries no XMP"
    return ET.fromstring(xmp)  # also proves the edited packet is well-formed XML


def values(tree: ET.Element, tag: str) -> list[str]:
    """A simple property's values, in attribute or element form, across every rdf:Description."""
    found = []
    for desc in tree.iter(f"{RDF}Description"):
        found += [desc.attrib[tag]] if tag in desc.attrib else []
        found += [el.text or "" for el in desc.findall(tag)]
    return found


def history(tree: ET.Element) -> list[dict[str, str]]:
    events = tree.findall(f".//{XMP_MM}History/{RDF}Seq/{RDF}li")
    return [{child.tag.removeprefix(ST_EVT): (child.text or "").strip() for child in li} for li in events]


def software_tag(path: Path) -> str:
    if path.suffix == ".tif":
        with tifffile.TiffFile(path) as tif:
            return tif.pages.first.tags["Software"].value
    with Image.open(path) as im:
        return im.getexif()[exiftags.SOFTWARE]


@pytest.mark.parametrize("fmt", FORMATS)
def test_scan_xmp_gets_the_provenance_and_keeps_its_own_content(tmp_path: Path, fmt: str) -> None:
    out = written(tmp_path, scan(tmp_path, SCAN_XMP), fmt, Provenance("builtin", 0.8))
    tree = xmp_tree(out)
    assert values(tree, f"{IPTC_EXT}DigitalSourceType") == [DIGITAL_SOURCE_TYPE]  # "print" replaced
    assert values(tree, f"{PHOTOSHOP}ColorMode") == ["3"]  # RGB, no longer greyscale
    first, last = history(tree)
    assert first == {"action": "created", "softwareAgent": "EPSON Scan"}
    assert last == {
        "action": "edited",
        "softwareAgent": f"ColorSphere {__version__}",
        "parameters": "colorized with the builtin model at strength 0.80",
    }
    assert tree.find(".//{http://purl.org/dc/elements/1.1/}title") is not None
    assert software_tag(out) == f"ColorSphere {__version__}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_source_without_metadata_gets_a_new_record(tmp_path: Path, fmt: str) -> None:
    out = written(tmp_path, scan(tmp_path, None), fmt, Provenance("eccv16", 1.0))
    tree = xmp_tree(out)
    assert values(tree, f"{IPTC_EXT}DigitalSourceType") == [DIGITAL_SOURCE_TYPE]
    assert values(tree, f"{PHOTOSHOP}ColorMode") == []  # not claimed where the source said nothing
    assert history(tree)[-1]["parameters"] == "colorized with the eccv16 model at strength 1.00"
    assert software_tag(out) == f"ColorSphere {__version__}"


def test_callers_that_pass_nothing_still_record_the_software(tmp_path: Path) -> None:
    out = written(tmp_path, scan(tmp_path, None), "png", None)
    tree = xmp_tree(out)
    assert history(tree)[-1] == {
        "action": "edited",
        "softwareAgent": f"ColorSphere {__version__}",
        "parameters": "colorized",
    }
    with Image.open(out) as im:
        assert im.text["Software"] == f"ColorSphere {__version__}"


def test_element_form_colour_mode_is_fixed_too(tmp_path: Path) -> None:
    xmp = SCAN_XMP.replace(b'photoshop:ColorMode="1"', b"").replace(
        b"<dc:title>", b"<photoshop:ColorMode>1</photoshop:ColorMode><dc:title>"
    )
    tree = xmp_tree(written(tmp_path, scan(tmp_path, xmp), "tiff", Provenance("builtin", 1.0)))
    assert values(tree, f"{PHOTOSHOP}ColorMode") == ["3"]


def test_source_exif_is_kept_beside_the_software(tmp_path: Path) -> None:
    path = fx.save_jpeg(tmp_path / "s.jpg", fx.colour_scene(24, 32), exif=fx.exif_block())
    out = written(tmp_path, read_photo(path), "jpg", Provenance("builtin", 1.0))
    with Image.open(out) as im:
        exif = im.getexif()
        assert exif[exiftags.SOFTWARE] == f"ColorSphere {__version__}"
        assert exif[270] == fx.CAPTION  # the caption (ImageDescription) is the archive's, left alone
