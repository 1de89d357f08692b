"""The attract screen's first look, read from the tree before validation: the
same as the validated settings give, and never an error on a tree of the wrong
shape (the validation after the paint says what is wrong)."""

from __future__ import annotations

from config.first_look import FirstLook
from config.loader import SettingsTree, defaults, merge, validate


def test_the_first_look_from_the_tree_is_the_look_of_the_validated_settings() -> None:
    tree = merge(defaults(), {"services": {"gas": {"enabled": False}}})
    look = FirstLook.of_tree(tree)
    assert look == FirstLook.of(validate(tree))
    gas = tree["services"]["gas"]
    assert look.services and (gas["name_zh"], gas["name_en"]) not in look.services
    assert len(look.services) == len(tree["services"]) - 1
    assert look.operator_name_zh and look.hotline


def test_a_tree_of_the_wrong_shape_gives_a_plain_look_not_an_error() -> None:
    tree = {
        "kiosk": {"operator_name_zh": 7, "default_language": "fr"},
        "services": {"water": "not a table", "gas": {"name_zh": "燃气", "name_en": None}},
    }
    look = FirstLook.of_tree(tree)
    assert look == FirstLook("", "", "", "zh", ())
    assert FirstLook.of_tree({"kiosk": [], "services": 3}).services == ()


def test_the_settings_tree_validates_once_when_asked() -> None:
    read = SettingsTree(defaults(), "embedded defaults")
    assert not read.is_validated
    assert read.validated() is read.validated()
    assert read.look == FirstLook.of(read.validated())
    given = SettingsTree.of(read.validated())
    assert given.is_validated and given.validated() is read.validated()
    assert given.look == read.look
