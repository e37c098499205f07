"""R24: the final-opinion matrix, every pair and its properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.opinions.domain import FinalOpinion, Opinion, final_opinion, rank

F, AF, R = Opinion.FAVORABLE, Opinion.ASSEZ_FAVORABLE, Opinion.RESERVE
MATRIX = {
    (F, F): FinalOpinion.TRES_FAVORABLE,
    (F, AF): FinalOpinion.FAVORABLE,
    (F, R): FinalOpinion.ASSEZ_FAVORABLE,
    (AF, F): FinalOpinion.FAVORABLE,
    (AF, AF): FinalOpinion.ASSEZ_FAVORABLE,
    (AF, R): FinalOpinion.PEU_FAVORABLE,
    (R, F): FinalOpinion.ASSEZ_FAVORABLE,
    (R, AF): FinalOpinion.PEU_FAVORABLE,
    (R, R): FinalOpinion.RESERVE,
}
opinions = st.sampled_from(list(Opinion))


def test_r24_each_of_the_nine_pairs_gives_the_seeds_final_opinion() -> None:
    for (origin, reception), expected in MATRIX.items():
        assert final_opinion(origin, reception) is expected, (origin, reception)


@given(opinions, opinions)
def test_r24_the_matrix_is_symmetric(origin: Opinion, reception: Opinion) -> None:
    assert final_opinion(origin, reception) is final_opinion(reception, origin)


@given(opinions, opinions, opinions)
def test_r24_a_better_opinion_never_gives_a_worse_final_opinion(
    origin: Opinion, worse: Opinion, better: Opinion
) -> None:
    if better < worse:
        worse, better = better, worse

    assert rank(final_opinion(origin, better)) >= rank(final_opinion(origin, worse))
    assert rank(final_opinion(better, origin)) >= rank(final_opinion(worse, origin))


def test_r24_opinion_codes_read_back() -> None:
    assert [Opinion.of(o.code) for o in Opinion] == list(Opinion)
    assert Opinion.of("assez_favorable") is AF
