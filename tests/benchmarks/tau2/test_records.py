import json
import threading

from fama_dspy.results.records import JsonlAppender, dedupe, episode_key, is_success, read_jsonl


def test_concurrent_appends_never_interleave(tmp_path):
    path = tmp_path / "x.jsonl"
    appender = JsonlAppender(path)
    payload = "y" * 20000

    def write(i):
        for j in range(20):
            appender.append({"i": i, "j": j, "payload": payload})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_text().splitlines()
    assert len(lines) == 80 and all(json.loads(line)["payload"] == payload for line in lines)


def test_dedupe_keeps_the_last_record_per_key():
    base = {"config": "c", "domain": "mock", "solo": False, "user": "fama", "task_id": "t", "trial": 0}
    records = [{**base, "reward": 0.0}, {**base, "trial": 1, "reward": 1.0}, {**base, "reward": 1.0}]
    out = dedupe(records)
    assert [(r["trial"], r["reward"]) for r in out] == [(0, 1.0), (1, 1.0)]
    assert episode_key(records[0]) == ("c", "mock", False, "fama", "t", 0)


def test_reading_skips_garbage_and_missing_files(tmp_path):
    path = tmp_path / "x.jsonl"
    assert read_jsonl(path) == []
    path.write_text('{"a": 1}\nnot json\n\n[1, 2]\n{"b": 2}\n')
    assert read_jsonl(path) == [{"a": 1}, {"b": 2}]


def test_success_threshold():
    assert is_success(1.0) and is_success(1 - 1e-7) and not is_success(0.99) and not is_success(None)
