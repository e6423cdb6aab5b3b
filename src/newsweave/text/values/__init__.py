"""Typed values in text, read once for conflict detection and for verification.

Shared readers, one job each:

- numbers.py: number words, numerals, scales, currencies, measures and what they count.
- when.py: days and years as values (date arithmetic stays in newsweave.text.dates).
- places.py: the geonames gazetteer and the places a sentence names.
- names.py: people with a role, surnames, the names a claim makes.
- stems.py: the word folds the readers compare nouns with.

Views built on them:

- slots.py: a sentence's checkable slots and whether two sentences disagree (writing.claims,
  writing.compose).
- fact.py, counts.py, facts.py: facts keyed by what they are about (writing.conflicts).
- statements.py: a sentence analysed for the verifier (verification.citations and .story,
  writing.writers.check).
"""
