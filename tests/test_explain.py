"""The pure parts of the query-plan report (bench/explain.py), without a database."""

from bench import explain


def _plan(root, execution=1.5):
    return {"Plan": root, "Execution Time": execution}


INDEX_SCAN = {
    "Node Type": "Index Scan",
    "Index Name": "roadmap_progress_unique",
    "Relation Name": "roadmap_progress",
    "Actual Rows": 88,
    "Actual Loops": 1,
    "Actual Total Time": 0.31,
}


def test_node_line_names_the_index_the_table_and_the_rows():
    line = explain.node_line(INDEX_SCAN)

    assert line == (
        "Index Scan using roadmap_progress_unique on roadmap_progress (rows=88 loops=1 0.31 ms)"
    )


def test_a_sequential_scan_of_a_large_table_grows_with_it_however_few_rows_it_returns():
    scan = {
        "Node Type": "Seq Scan",
        "Relation Name": "roadmap_progressevent",
        "Actual Rows": 3,
        "Rows Removed by Filter": 10,
    }

    assert explain.grows_with_table(scan)


def test_a_sequential_scan_of_content_does_not_grow_with_the_students():
    scan = {"Node Type": "Seq Scan", "Relation Name": "roadmap_item", "Actual Rows": 88}

    assert not explain.grows_with_table(scan)


def test_an_index_scan_grows_with_the_table_when_it_handles_more_than_the_limit():
    per_student = {**INDEX_SCAN, "Actual Rows": 44, "Actual Loops": 500}
    filtered = {**INDEX_SCAN, "Actual Rows": 1, "Rows Removed by Filter": 60_000}

    assert not explain.grows_with_table(per_student, limit=50_000)
    assert explain.grows_with_table(filtered, limit=50_000)


def test_summarize_collects_indexes_buffers_and_flags_from_the_whole_tree():
    scan = {
        "Node Type": "Seq Scan",
        "Relation Name": "roadmap_progressevent",
        "Actual Rows": 7,
        "Actual Loops": 1,
        "Actual Total Time": 9.0,
    }
    root = {
        "Node Type": "Nested Loop",
        "Actual Rows": 7,
        "Shared Hit Blocks": 40,
        "Shared Read Blocks": 2,
        "Plans": [scan, INDEX_SCAN, {**INDEX_SCAN, "Index Name": "accounts_user_pkey"}],
    }

    summary = explain.summarize(_plan(root, execution=2.25))

    assert summary["ms"] == 2.25
    assert summary["rows"] == 7
    assert summary["buffers"] == 42
    assert summary["indexes"] == ["accounts_user_pkey", "roadmap_progress_unique"]
    assert summary["flags"] == ["Seq Scan on roadmap_progressevent (rows=7 loops=1 9.00 ms)"]


def test_progress_is_projected_to_one_row_per_student_and_item_the_rest_per_student():
    assert explain.full_scale_rows("roadmap_progress", 2_024_000, 23_000) == 15_000_000
    assert explain.full_scale_rows("roadmap_progressevent", 138_000, 23_000) == 600_000
    assert explain.projected(200 * 2_024_000, 2_024_000, 15_000_000) == 200 * 15_000_000
    assert explain.projected(0, 0, 15_000_000) == 0


def test_sizes_read_in_megabytes_then_gigabytes():
    assert explain.megabytes(3 * 2**20) == "3.0 MB"
    assert explain.megabytes(5 * 2**30 // 2) == "2.50 GB"
