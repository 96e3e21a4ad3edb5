"""The pure packages' one link to the interface language.

Their messages are marked with `_` like the rest of the product (so the catalogue extracts
them) and translated when they are made, by the translator the app installs when it starts
(`set_translator(django.utils.translation.gettext)` in `RecoveryConfig.ready`). Outside the
product, e.g. in a script importing a pure package alone, they stay in English."""

from collections.abc import Callable


def _untranslated(message: str) -> str:
    return message


_translator: Callable[[str], str] = _untranslated


def set_translator(translate: Callable[[str], str]) -> None:
    global _translator
    _translator = translate


def _(message: str) -> str:
    return _translator(message)
