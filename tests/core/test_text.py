"""monitor.core.text: server strings shown, never obeyed (issue 13 items 4 and 7)."""

from __future__ import annotations

import pytest

from monitor.core.text import CELL_LIMIT, display_line, display_text, isolate, json_safe, terminal_safe

RLO_NAME = "invoice\u202egpj.exe"


@pytest.mark.parametrize(
    "control",
    [
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u200e",
        "\u200f",
        "\u061c",
    ],
)
def test_every_bidi_control_is_shown_as_an_escape(control: str) -> None:
    for shown in (display_line(f"a{control}b"), display_text(f"a{control}b"), terminal_safe(f"a{control}b")):
        assert control not in shown
        assert shown == f"a\\u{ord(control):04x}b"


def test_the_rlo_name_reads_as_what_it_is() -> None:
    assert display_line(RLO_NAME) == "invoice\\u202egpj.exe"  # ends in .exe on screen, as in fact


@pytest.mark.parametrize(
    "code", [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0x85), *range(0x86, 0xA0)]
)
def test_c0_and_c1_controls_are_escaped(code: int) -> None:
    shown = display_line(f"x{chr(code)}y")
    assert chr(code) not in shown
    assert shown == f"x\\x{code:02x}y"


def test_one_line_keeps_no_line_break_and_several_lines_keep_them() -> None:
    text = "step 1\nstep 2\r\nstep 3\rstep 4\u2028step 5\u2029step 6\x85step 7\tend"
    line = display_line(text)
    assert not any(ch in line for ch in "\n\r\u2028\u2029\x85\t")
    assert line == " \u23ce ".join(f"step {n}" for n in range(1, 8)) + " end"
    assert display_text(text) == "step 1\nstep 2\nstep 3 \u23ce step 4\nstep 5\nstep 6\nstep 7\tend"


def test_long_text_is_cut_with_an_ellipsis() -> None:
    stage = "s" * 4000
    cell = display_line(stage)
    assert len(cell) == CELL_LIMIT
    assert cell.endswith("\u2026")
    assert display_text(stage) == stage
    assert display_line(stage, None) == stage


def test_plain_text_and_rtl_letters_come_back_unchanged() -> None:
    for text in ("alpha.wav", "שלום.wav", "تحميل", "日本語", "👩‍💻 emoji with ZWJ", ""):
        assert display_line(text) == text
        assert display_text(text) == text


def test_lone_surrogates_become_the_replacement_character() -> None:
    assert display_line("a\ud800b") == "a\ufffdb"


def test_isolate_wraps_right_to_left_text_in_fsi_pdi_after_escaping() -> None:
    # The server's own isolates are escaped; ours are the only real ones.
    assert isolate(display_line("\u2069\u05d0")) == "\u2068\\u2069\u05d0\u2069"
    assert isolate(display_line("\u202e\u0627")) == "\u2068\\u202e\u0627\u2069"
    assert isolate(display_line("\u202egpj.exe")) == "\\u202egpj.exe"  # no RTL letter: as is
    assert isolate("") == ""


def test_terminal_and_json_forms() -> None:
    assert terminal_safe("\x1b]0;pwned\x07") == "\\x1b]0;pwned\\x07"
    assert terminal_safe("a\nb") == "a\\nb"
    assert len(terminal_safe("x" * 600)) == 500
    assert json_safe('"\x9b2J\u202e"') == '"\\u009b2J\\u202e"'
