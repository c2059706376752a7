"""Colour means one thing: green and red say a verdict, never a stance.

The stylesheets are read as they are served: every rule styling a stance
(asserts, denies, supports, refutes) is compared with every rule styling a
verdict, so a stance painted like "confirmed" or "false" fails here.
"""

import colorsys
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

STATIC = Path(__file__).resolve().parents[1] / "verifier" / "static" / "verifier"
STYLESHEETS = [STATIC / "site.css", STATIC / "admin.css"]

STANCE = re.compile(
    r"(?:stance|evidence|side|cell)-(?:asserts|denies|supports|refutes|both)\b"
)
VERDICT = re.compile(
    r"(?:status-|badge-)(?:confirmed|partly_confirmed|false|misleading|disputed)\b"
)
COLOUR = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def rules(css: str) -> list[tuple[str, str]]:
    """(selector, declarations) of each innermost rule, comments dropped."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    return [
        (selector.strip(), body)
        for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)
    ]


def colours(declarations: str) -> set[str]:
    found = set()
    for value in COLOUR.findall(declarations):
        digits = value[1:].lower()
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        found.add(digits)
    return found


def painted(pattern: re.Pattern) -> dict[str, set[str]]:
    """Colours of the rules whose selector matches ``pattern``, by selector."""
    found: dict[str, set[str]] = {}
    for sheet in STYLESHEETS:
        for selector, body in rules(sheet.read_text()):
            if pattern.search(selector):
                found.setdefault(selector, set()).update(colours(body))
    return found


def is_green_or_red(digits: str) -> bool:
    red, green, blue = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    hue, _lightness, saturation = colorsys.rgb_to_hls(red, green, blue)
    degrees = hue * 360
    # Greys and slates carry little saturation: they read as no colour at all.
    if saturation < 0.3:
        return False
    return degrees < 20 or degrees > 340 or 75 < degrees < 165


def test_the_parser_finds_both_kinds_of_rule():
    stances = painted(STANCE)
    verdicts = painted(VERDICT)
    assert any("asserts" in s for s in stances)
    assert any("denies" in s for s in stances)
    assert any("confirmed" in s for s in verdicts)
    assert any("false" in s for s in verdicts)
    assert all(verdicts.values()), "every verdict rule has a colour"


def test_no_stance_shares_a_colour_with_a_verdict():
    verdict_colours = set().union(*painted(VERDICT).values())
    for selector, found in painted(STANCE).items():
        shared = found & verdict_colours
        assert not shared, f"{selector} uses a verdict's colour: {shared}"


def test_no_stance_is_green_or_red():
    for selector, found in painted(STANCE).items():
        loud = {f"#{digits}" for digits in found if is_green_or_red(digits)}
        assert not loud, f"{selector} is green or red: {loud}"


def test_the_verdicts_keep_green_and_red():
    verdicts = painted(VERDICT)
    confirmed = set().union(
        *(found for selector, found in verdicts.items() if "-confirmed" in selector)
    )
    false = set().union(
        *(found for selector, found in verdicts.items() if "-false" in selector)
    )
    assert any(is_green_or_red(digits) for digits in confirmed)
    assert any(is_green_or_red(digits) for digits in false)


@pytest.mark.django_db
def test_stances_on_the_pages_carry_a_word_and_a_shape():
    """A stance on the public claim page is named in words, and the
    stylesheet gives it a shape besides: no meaning rests on colour."""
    call_command("load_demo", verbosity=0)
    html = (
        Client()
        .get("/claims/ukrainian-forces-operating-in-belgorod-region/")
        .content.decode()
    )
    for stance, word in (("asserts", "Asserts"), ("denies", "Denies")):
        assert f'class="side side-{stance}"' in html
        assert f"<h3>{word}" in html
    shapes = {
        selector: body
        for sheet in STYLESHEETS
        for selector, body in rules(sheet.read_text())
        if "::before" in selector
    }
    assert any(".side-asserts h3::before" in s and "▲" in b for s, b in shapes.items())
    assert any(".side-denies h3::before" in s and "▼" in b for s, b in shapes.items())
