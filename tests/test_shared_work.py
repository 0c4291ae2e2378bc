"""The readings of one notes file share their work (``pipeline.read.shared_work``): the same
question about the same blocks is answered once, and only while one file is read."""

from __future__ import annotations

from pipeline.read.shared_work import remembered, shared_work


def test_a_question_is_answered_once_per_reading_and_by_the_objects_it_names() -> None:
    calls: list[str] = []

    def work(answer: str) -> str:
        calls.append(answer)
        return answer

    first, second = object(), object()
    assert remembered(("q",), [first], lambda: work("a")) == "a"
    assert remembered(("q",), [first], lambda: work("b")) == "b"  # no reading: not kept
    with shared_work():
        assert remembered(("q",), [first], lambda: work("c")) == "c"
        assert remembered(("q",), [first], lambda: work("d")) == "c"  # kept
        assert remembered(("q",), [second], lambda: work("e")) == "e"  # other blocks
        assert remembered(("r",), [first], lambda: work("f")) == "f"  # another question
    with shared_work():  # the next file's reading starts afresh
        assert remembered(("q",), [first], lambda: work("g")) == "g"
    assert calls == ["a", "b", "c", "e", "f", "g"]
