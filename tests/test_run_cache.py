"""The store of finished runs (``*.runs.jsonl``): exact values, kills, and a damaged file."""

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulation.run_cache import RunCache
from simulation.scenario import ScenarioError

# What run_model returns: metric names to floats (any finite value), or None if unmeasurable.
metrics = st.one_of(
    st.none(),
    st.dictionaries(
        st.text(min_size=1, max_size=12),
        st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-(2**60), 2**60)),
        max_size=8,
    ),
)
runs = st.lists(st.tuples(st.text(min_size=1, max_size=8), metrics), max_size=6)


def same(a, b) -> bool:
    """Equal bit for bit (``==`` takes -0.0 for 0.0, and repr does not)."""
    return json.dumps(a) == json.dumps(b) and repr(a) == repr(b)


@settings(max_examples=60, deadline=None)
@given(runs=runs, cut=st.floats(0.0, 1.0))
@example(runs=[("00", None), ("00", None), ("0", None)], cut=1.0)  # a key stored twice
def test_stored_runs_read_back_bit_for_bit_and_a_cut_file_loses_only_its_last_line(
    tmp_path_factory, runs, cut
):
    path = tmp_path_factory.mktemp("store") / "v.runs.jsonl"
    store = RunCache(path)
    first = {}  # what is stored, one line per key in the order stored
    for seed, (key, values) in enumerate(runs):
        store.put(key, seed, 1.5, values)
        first.setdefault(key, values)  # a key already stored is left as it is
    assert path.read_bytes().count(b"\n") == len(first)
    assert all(same(store.get(k), v) for k, v in first.items())
    store.close()
    again = RunCache(path)
    assert len(again) == len(first) and all(same(again.get(k), v) for k, v in first.items())
    again.close()

    # A kill while a line was written leaves part of it: the whole lines before it are kept,
    # the part is dropped, and the next run is appended on a line of its own.
    data = path.read_bytes()
    path.write_bytes(data[: int(cut * len(data))])
    whole = path.read_bytes().count(b"\n")
    cut_store = RunCache(path)
    assert len(cut_store) == whole
    assert all(same(cut_store.get(k), first[k]) for k in list(first)[:whole])
    cut_store.put("after the kill", 99, 2.0, {"x": 0.1})
    cut_store.close()
    reopened = RunCache(path)
    assert reopened.get("after the kill") == {"x": 0.1}
    assert len(reopened) == len(cut_store)
    reopened.close()


def test_a_value_reads_back_as_the_same_float_in_memory_and_from_the_file(tmp_path):
    values = {"third": 1 / 3, "tiny": 5e-324, "big": 1.7976931348623157e308, "none": None}
    memory, disk = RunCache(), RunCache(tmp_path / "s.runs.jsonl")
    for store in (memory, disk):
        store.put("k", 1, 0.5, values)
    disk.close()
    from_file = RunCache(tmp_path / "s.runs.jsonl").get("k")
    assert same(memory.get("k"), values) and same(from_file, values)


@pytest.mark.parametrize(
    "line",
    ['{"key": "a", "metrics": {"x": 1}', '{"seed": 3, "metrics": {}}', "[1, 2]", "not json"],
)
def test_a_damaged_line_is_refused_naming_the_file_and_the_line(tmp_path, line):
    path = tmp_path / "v.runs.jsonl"
    path.write_text('{"key": "good", "seed": 1, "wall_time": 1.0, "metrics": null}\n' + line + "\n")
    with pytest.raises(ScenarioError, match=r"v\.runs\.jsonl, line 2: expected a stored run"):
        RunCache(path)
    assert path.read_text().endswith(line + "\n")  # a refused file is not touched
