"""The embedder registry: every embedder the settings accept has a factory, and no other."""

from __future__ import annotations

import pytest

from newsweave.config import EMBEDDERS as EMBEDDER_NAMES
from newsweave.errors import ConfigError
from newsweave.text.embed import EMBEDDERS, make_embedder


def test_the_registry_holds_exactly_the_embedders_the_settings_accept() -> None:
    assert tuple(EMBEDDERS) == EMBEDDER_NAMES
    assert all(callable(factory) for factory in EMBEDDERS.values())


def test_an_unknown_embedder_is_named_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="'nope' is not one of: hybrid, wordllama, lexical"):
        make_embedder("nope")
