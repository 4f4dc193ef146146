"""Reproducible tar.gz: same entries, same bytes; failures leave nothing behind."""

from __future__ import annotations

import gzip
import os
import tarfile

import pytest

from builder.archive import Entry, write_directory, write_tar_gz
from builder.errors import BuilderError


def _sources(root, mtime):
    root.mkdir()
    (root / "b.bin").write_bytes(b"\x00\x01" * 50_000)
    (root / "a.txt").write_text("alpha\n")
    for path in root.iterdir():
        os.utime(path, (mtime, mtime))
    os.chmod(root / "a.txt", 0o600)
    return [Entry("model/b.bin", path=root / "b.bin"), Entry("code/x/a.txt", path=root / "a.txt"),
            Entry("code/inline.py", data=b"print('hi')\n")]


def test_same_entries_give_identical_bytes_whatever_the_file_metadata(tmp_path):
    one = write_tar_gz(_sources(tmp_path / "s1", 1_000_000), tmp_path / "one.tar.gz")
    # Different order, mtimes and modes on disk: the archive must not see them.
    two = write_tar_gz(list(reversed(_sources(tmp_path / "s2", 2_000_000))), tmp_path / "two.tar.gz", gzip_level=0)
    assert one.sha256 == two.sha256
    assert (tmp_path / "one.tar.gz").read_bytes() == (tmp_path / "two.tar.gz").read_bytes()
    assert one.bytes == (tmp_path / "one.tar.gz").stat().st_size


def test_members_are_sorted_with_fixed_owner_mode_and_mtime(tmp_path):
    write_tar_gz(_sources(tmp_path / "s", 1_234_567), tmp_path / "a.tar.gz", gzip_level=6)
    raw = (tmp_path / "a.tar.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert raw[4:8] == b"\0\0\0\0", "gzip header mtime must be 0"
    assert raw[3] & 0x08 == 0, "gzip header must carry no file name"
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == ["code", "code/x", "model", "code/inline.py", "code/x/a.txt",
                                             "model/b.bin"]
        for member in members:
            assert (member.mtime, member.uid, member.gid, member.uname, member.gname) == (0, 0, 0, "", "")
            assert member.mode == (0o755 if member.isdir() else 0o644)
        assert tar.extractfile("code/x/a.txt").read() == b"alpha\n"
    assert gzip.decompress(raw)[:4] == b"code"


def test_gzip_level_changes_bytes_not_content(tmp_path):
    stored = write_tar_gz(_sources(tmp_path / "s1", 0), tmp_path / "0.tar.gz", gzip_level=0)
    packed = write_tar_gz(_sources(tmp_path / "s2", 0), tmp_path / "9.tar.gz", gzip_level=9)
    assert stored.sha256 != packed.sha256 and packed.bytes < stored.bytes
    unpacked = [gzip.decompress((tmp_path / name).read_bytes()) for name in ("0.tar.gz", "9.tar.gz")]
    assert unpacked[0] == unpacked[1]


def test_a_failure_midway_leaves_no_file(tmp_path):
    entries = _sources(tmp_path / "s", 0)
    entries.append(Entry("zz/missing.bin", path=tmp_path / "s" / "vanished.bin"))
    with pytest.raises(BuilderError, match="cannot write"):
        write_tar_gz(entries, tmp_path / "out" / "model.tar.gz")
    assert list((tmp_path / "out").iterdir()) == []


def test_duplicate_names_are_refused(tmp_path):
    with pytest.raises(BuilderError, match="duplicate"):
        write_tar_gz([Entry("a", data=b"1"), Entry("a", data=b"2")], tmp_path / "x.tar.gz")


def test_uncompressed_layout_writes_plain_files(tmp_path):
    target = write_directory(_sources(tmp_path / "s", 0), tmp_path / "out" / "model")
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == [
        "code/inline.py", "code/x/a.txt", "model/b.bin"]
    assert (target / "code" / "x" / "a.txt").stat().st_mode & 0o777 == 0o644
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["model"]
