"""assistant.validate: the one place the CLI, the API and the UI check what users send."""

from __future__ import annotations

import pytest

from assistant import validate
from assistant.config import load_settings
from assistant.validate import InputError

S = load_settings()


@pytest.mark.parametrize("value, words", [
    ("\ud800 x", "lone surrogate U+D800"),
    ("a\x00b", "NUL byte"),
    ("a\x1bb", "control character U+001B"),
    ("a\x85b", "control character U+0085"),
    ("   ", "is empty"),
    (12, "must be text, not int"),
    (None, "must be text, not NoneType"),
    ("ก" * 2001, "2,001 characters, over the 2,000 limit"),
])
def test_question_refuses_what_is_not_text(value, words):
    with pytest.raises(InputError) as e:
        validate.question(value, S)
    assert words in str(e.value) and any("\u0e00" <= c <= "\u0e7f" for c in e.value.thai)


def test_question_keeps_thai_emoji_and_tabs():
    assert validate.question("  แนวทางที่ ๗\tคืออะไร 🙂 ", S) == "แนวทางที่ ๗\tคืออะไร 🙂"


def test_history_bounds_size_and_item_types():
    assert validate.history(None, S) is None and validate.history([], S) is None
    assert validate.history(["แนวทางที่ 6", " "], S) == ["แนวทางที่ 6"]
    for bad, words in [("x", "must be a list"), ([1], "must be text, not int"), (["\udfff"], "lone surrogate"),
                       (["q"] * (S.max_history_items + 1), "over the 20 limit")]:
        with pytest.raises(InputError) as e:
            validate.history(bad, S)
        assert words in str(e.value)


def test_k_and_method():
    assert validate.k(1, S) == 1 and validate.k(100, S) == 100 and validate.k("7", S) == 7
    for bad in (0, -1, 101, 10**9, True, 2.0, "x", None, "-3"):
        with pytest.raises(InputError):
            validate.k(bad, S)
    from assistant.retrieve.rankers import RANKERS as METHODS

    assert [validate.method(m) for m in METHODS] == list(METHODS)
    for bad in ("foo", "", None, ["hybrid"], "\ud800"):
        with pytest.raises(InputError) as e:
            validate.method(bad)
        assert "choose from" in str(e.value)
