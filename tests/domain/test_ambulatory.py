import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualpath.domain import ambulatory
from dualpath.domain.ambulatory import EndReason, MoveRefused

SPEC_TABLE = {(1, 2), (1, 3), (2, 3), (3, 2), (3, 4), (4, 2), (4, 3)}


@given(st.integers(1, 4), st.integers(-2, 7), st.one_of(st.none(), st.text(max_size=5)))
def test_no_move_outside_the_spec_table_is_ever_accepted(current, to, reason):
    try:
        ambulatory.check_move(current, to, reason)
    except MoveRefused:
        accepted = False
    else:
        accepted = True
    if accepted:
        assert (current, to) in SPEC_TABLE
    if (current, to) not in SPEC_TABLE:
        assert not accepted


@pytest.mark.parametrize("move", sorted(SPEC_TABLE))
def test_every_move_in_the_table_is_accepted_with_a_reason(move):
    ambulatory.check_move(*move, reason="planned")


def test_refusal_names_the_allowed_moves():
    with pytest.raises(MoveRefused, match=r"allowed moves are to 2 \(Ustabil\), 3 \(Stabil\)"):
        ambulatory.check_move(1, 4, None)


@pytest.mark.parametrize("to", [2, 3])
def test_abandoning_phase_4_needs_a_reason(to):
    with pytest.raises(MoveRefused, match="reason is required"):
        ambulatory.check_move(4, to, "  ")


def test_planned_closure_only_from_phase_4():
    with pytest.raises(MoveRefused, match="from phase 4"):
        ambulatory.check_end(3, EndReason.transition_coordinated, None)
    ambulatory.check_end(4, EndReason.transition_coordinated, None)


@pytest.mark.parametrize("phase", [1, 2, 3, 4])
def test_unplanned_end_from_any_phase_needs_a_reason(phase):
    with pytest.raises(MoveRefused, match="needs a reason"):
        ambulatory.check_end(phase, EndReason.moved_away, "")
    ambulatory.check_end(phase, EndReason.moved_away, "moved to Greenland")
