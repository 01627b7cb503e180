"""The batch path of the address lookup gives the single path's answers, and its shortcuts
(texts read once, point answers asked in one vectorised call, the pinyin pass only where
no name was found written right) change no answer."""

from __future__ import annotations

import gc

import orjson
import pytest
from address_cases import build_cases
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gisgrid.address.lookup import address_context, lookup_address, lookup_addresses, lookup_addresses_json
from gisgrid.address.text import fold, phonetic
from gisgrid.address.tokens import Mention, _choose, tokenise
from gisgrid.errors import AddressNotFoundError, InvalidInputError


@pytest.fixture(scope="module")
def ctx(engine: Engine):
    with Session(engine) as session:
        gaz, view = address_context(session)
        cases = build_cases(session, 1)
    return gaz, view, cases


def _single(gaz, view, q: str) -> dict | None:
    try:
        return lookup_address(None, q, gazetteer=gaz, view=view)
    except (AddressNotFoundError, InvalidInputError):
        return None


def test_a_batch_with_repeats_blanks_and_misses_answers_each_text_as_a_single_lookup(ctx) -> None:
    gaz, view, cases = ctx
    sample = [c.query for c in cases[::23]] + [c.query for c in cases[-150::10]]   # missing ones too
    queries = sample + ["", "   ", sample[0], "延安市宝塔区金林小区1号楼"] + sample[::-1]
    got = lookup_addresses(None, queries, gazetteer=gaz, view=view)
    assert len(got) == len(queries)
    assert got[len(sample)] is None and got[len(sample) + 1] is None
    assert sum(a is None for a in got) > 10 and sum(a is not None for a in got) > 400
    for q, answer in zip(queries, got, strict=True):
        assert orjson.dumps(answer) == orjson.dumps(_single(gaz, view, q)), q


def test_the_json_batch_is_the_batch_serialised_byte_for_byte(ctx) -> None:
    gaz, view, cases = ctx
    queries = [c.query for c in cases[::11]] + ["", cases[0].query, "火星路1号"]
    body = lookup_addresses_json(None, queries, gazetteer=gaz, view=view)
    assert body == orjson.dumps({"results": lookup_addresses(None, queries, gazetteer=gaz, view=view)})
    assert body.endswith(b",null]}") and len(orjson.loads(body)["results"]) == len(queries)
    assert lookup_addresses_json(None, [], gazetteer=gaz, view=view) == b'{"results":[]}'


def test_a_batch_leaves_the_garbage_collector_as_it_found_it(ctx) -> None:
    gaz, view, cases = ctx
    queries = [c.query for c in cases[:50]]
    assert gc.isenabled()
    lookup_addresses(None, queries, gazetteer=gaz, view=view)
    assert gc.isenabled()

    class Unhashable(str):
        def __hash__(self) -> int:
            raise RuntimeError("half-way")

    with pytest.raises(RuntimeError, match="half-way"):      # an error half-way resumes it too
        lookup_addresses(None, ["金林小区1号楼", Unhashable("x")], gazetteer=gaz, view=view)
    assert gc.isenabled()
    gc.disable()
    try:
        lookup_addresses_json(None, queries, gazetteer=gaz, view=view)
        assert not gc.isenabled()                 # paused by someone else: left paused
    finally:
        gc.enable()


def test_the_point_answers_of_a_batch_are_the_point_lookups_byte_for_byte(ctx) -> None:
    gaz, view, _ = ctx
    points = [(lon, lat) for _, lon, lat in gaz.homes[::97]] + [(0.0, 0.0)]
    bodies = view.bodies(points)
    assert bodies[-1] is None and sum(b is not None for b in bodies) == len(points) - 1
    assert bodies == [view.index.answer(lon, lat) for lon, lat in points]
    for s in list(gaz.shops.values())[::17]:      # remembered place answers, as asked afresh
        assert view.at(s.lon, s.lat) == orjson.loads(view.index.answer(s.lon, s.lat))


def _plain_sound_mentions(gaz, text: str, exact: list[Mention]) -> list[Mention]:
    """Homophones kept by a pinyin pass over the whole text (the way before the shortcut)."""
    taken = [False] * len(text)
    _choose(exact, taken)
    spans = {(m.start, m.end) for m in exact}
    found = []
    for end, (length, names) in gaz.sound.iter(phonetic(text)):
        span = (end + 1 - length, end + 1)
        if span not in spans:
            full = tuple(n for n in names if n.how == "name")
            found.append(Mention(*span, full or names, "sound" if full else "soundcore"))
    return _choose(found, taken)


def test_homophones_are_found_as_by_a_pinyin_pass_over_the_whole_text(ctx) -> None:
    gaz, _, cases = ctx
    homophones = 0
    # each text as written, and inside hotline words (the homophone then stands mid-text)
    for q in [t for c in cases for t in (c.query, f"榆阳区市民反映{c.query}楼下噪音")]:
        text = fold(q)
        tokens = tokenise(gaz, q)
        exact = [Mention(e + 1 - n, e + 1, tuple(x for x in names if x.how == "name") or names,
                         "name" if any(x.how == "name" for x in names) else "core")
                 for e, (n, names) in gaz.exact.iter(text)]
        plain = {(m.start, m.end, m.names) for m in _plain_sound_mentions(gaz, text, exact)}
        kept = {(m.start, m.end, m.names) for m in tokens.mentions if m.how in ("sound", "soundcore")}
        assert kept == plain, q
        homophones += bool(kept)
    assert homophones > 200          # the set has homophones to find (estate_homophone…)
