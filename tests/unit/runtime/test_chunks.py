"""How a batch's deliveries are cut into chunks handled in one go (set-based handlers) or one by one: in order,
a chunk is deliveries of one message with a set-based handler that come in a row, no two of one subject."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.runtime.batches import Delivery, chunks
from services.runtime.service import Together


async def _never(_: Any) -> list[list[Any]]:
    raise AssertionError("only the chunks are looked at")


TOGETHER = {"register_candidacy": Together(_never, subject=lambda model: model)}
"""``register_candidacy`` is set-based, by pupil (the model stands for its pupil); ``withdraw_candidacy`` is not."""


def deliveries(spec: list[tuple[str, str]]) -> list[Delivery]:
    return [
        Delivery(f"id{i}", "c", pupil, key, {}, _never, f"id{i}", None, outcome=None)  # type: ignore[arg-type]
        for i, (key, pupil) in enumerate(spec)
    ]


def cut(spec: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    return [[(d.key, d.model) for d in chunk] for chunk in chunks(deliveries(spec), TOGETHER)]


R, W = "register_candidacy", "withdraw_candidacy"


def test_registrations_of_distinct_pupils_in_a_row_are_one_chunk() -> None:
    assert cut([(R, "a"), (R, "b"), (R, "c")]) == [[(R, "a"), (R, "b"), (R, "c")]]


def test_a_pupil_seen_again_starts_a_new_chunk_so_that_it_sees_its_first_registration() -> None:
    assert cut([(R, "a"), (R, "b"), (R, "a"), (R, "c")]) == [[(R, "a"), (R, "b")], [(R, "a"), (R, "c")]]


def test_a_message_without_a_set_based_handler_is_alone_and_keeps_its_place() -> None:
    assert cut([(R, "a"), (W, "a"), (W, "b"), (R, "c")]) == [[(R, "a")], [(W, "a")], [(W, "b")], [(R, "c")]]


@given(st.lists(st.tuples(st.sampled_from([R, W]), st.sampled_from("abcd")), max_size=30))
def test_chunks_keep_every_delivery_in_order_and_never_put_one_subject_twice_in_a_chunk(
    spec: list[tuple[str, str]],
) -> None:
    cuts = cut(spec)

    assert [item for chunk in cuts for item in chunk] == spec
    for chunk in cuts:
        assert len({key for key, _ in chunk}) == 1
        assert len({pupil for _, pupil in chunk}) == len(chunk)
        assert chunk[0][0] == R or len(chunk) == 1


@given(st.lists(st.sampled_from("abcd"), min_size=1, max_size=30))
def test_a_chunk_ends_only_where_its_next_registration_names_a_pupil_already_in_it(pupils: list[str]) -> None:
    cuts = cut([(R, pupil) for pupil in pupils])

    for chunk, following in pairwise(cuts):
        assert following[0][1] in {pupil for _, pupil in chunk}
