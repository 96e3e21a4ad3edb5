"""recovery.lib.bulk.chunks: every item once, in order, in lists of at most `size`."""

from hypothesis import given
from hypothesis import strategies as st

from recovery.lib.bulk import chunks


def test_the_last_list_is_the_rest():
    assert list(chunks(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunks([], 3)) == []


def test_it_reads_an_iterator_lazily():
    seen = []

    def items():
        for item in range(10):
            seen.append(item)
            yield item

    first = next(chunks(items(), 4))
    assert first == [0, 1, 2, 3] and seen == [0, 1, 2, 3]


@given(st.lists(st.integers()), st.integers(min_value=1, max_value=50))
def test_every_item_once_in_order(items, size):
    batches = list(chunks(items, size))
    assert [item for batch in batches for item in batch] == items
    assert all(1 <= len(batch) <= size for batch in batches)
    assert all(len(batch) == size for batch in batches[:-1])
