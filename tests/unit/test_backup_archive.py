"""The lab_backup role's archive checks and owner rewriting, on real .tar.gz files."""

import importlib.util
import io
import os
import tarfile
from pathlib import Path

import pytest

MODULE_UTIL = (
    Path(__file__).resolve().parents[2] / "roles/lab_backup/module_utils/lab_backup_archive.py"
)
spec = importlib.util.spec_from_file_location("lab_backup_archive", MODULE_UTIL)
backup = importlib.util.module_from_spec(spec)
spec.loader.exec_module(backup)

DATABASE = backup.SQLITE_HEADER + b"\x10\x00" + bytes(200)


def entry(name, kind=tarfile.REGTYPE, content=b"", mode=0o644, uid=0, linkname=""):
    """Return (TarInfo, content) for one archive entry, owned by uid."""
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.uid, info.gid, info.linkname = kind, mode, uid, uid, linkname
    if kind == tarfile.REGTYPE:
        info.size = len(content)
    return info, content


def folder(name, mode=0o755, uid=0):
    return entry(name, tarfile.DIRTYPE, mode=mode, uid=uid)


def write_archive(path, entries, mode="w:gz"):
    with tarfile.open(path, mode) as archive:
        for info, content in entries:
            archive.addfile(info, io.BytesIO(content) if info.isfile() else None)
    return str(path)


def problem_of(path):
    with pytest.raises(backup.ArchiveProblem) as caught:
        backup.check_backup(path)
    return caught.value


def lab_backup(tmp_path, *extra):
    return write_archive(
        tmp_path / "b.tar.gz", [folder("data"), entry("data/demo.db", content=DATABASE), *extra]
    )


def test_valid_backup_accepted(tmp_path):
    path = lab_backup(tmp_path, entry("data/demo.db-journal", content=b""))

    assert backup.check_backup(path) == 3


def test_link_inside_data_accepted(tmp_path):
    path = lab_backup(
        tmp_path,
        folder("data/old"),
        entry("data/old/copy.db", tarfile.SYMTYPE, linkname="../demo.db"),
        entry("data/same.db", tarfile.LNKTYPE, linkname="data/demo.db"),
    )

    assert backup.check_backup(path) == 5


def test_empty_archive_rejected(tmp_path):
    path = write_archive(tmp_path / "e.tar.gz", [])

    assert problem_of(path).key == "empty"


@pytest.mark.parametrize(
    ("content", "mode"),
    [(b"not a backup\n", None), (b"", None), (None, "w")],
    ids=["text", "empty-file", "uncompressed-tar"],
)
def test_not_tar_gz_rejected(tmp_path, content, mode):
    path = tmp_path / "x.tar.gz"
    if content is None:
        write_archive(path, [folder("data"), entry("data/demo.db", content=DATABASE)], mode)
    else:
        path.write_bytes(content)

    assert problem_of(str(path)).key == "not_tar_gz"


def test_truncated_archive_rejected(tmp_path):
    path = Path(lab_backup(tmp_path, entry("data/big", content=bytes(range(256)) * 4000)))
    path.write_bytes(path.read_bytes()[:-200])

    assert problem_of(str(path)).key == "not_tar_gz"


def test_missing_path_rejected(tmp_path):
    assert problem_of(str(tmp_path / "none.tar.gz")).key == "not_found"


def test_fifo_path_rejected_without_blocking(tmp_path):
    fifo = tmp_path / "backup.tar.gz"
    os.mkfifo(fifo)

    assert problem_of(str(fifo)).key == "not_a_file"


def test_folder_path_rejected(tmp_path):
    assert problem_of(str(tmp_path)).key == "not_a_file"


def test_missing_database_lists_entries(tmp_path):
    path = write_archive(tmp_path / "b.tar.gz", [folder("data"), entry("data/other.db")])

    problem = problem_of(path)

    assert problem.key == "database_missing"
    assert problem.values["entries"] == ["data", "data/other.db"]


@pytest.mark.parametrize(
    ("database", "kind"),
    [
        (folder("data/demo.db"), "dir"),
        (entry("data/demo.db", tarfile.SYMTYPE, linkname="real.db"), "sym"),
    ],
    ids=["folder", "symlink"],
)
def test_database_not_regular_file_rejected(tmp_path, database, kind):
    path = write_archive(tmp_path / "b.tar.gz", [folder("data"), entry("data/real.db"), database])

    problem = problem_of(path)

    assert problem.key == "database_not_file"
    assert problem.values["kind"] == kind


@pytest.mark.parametrize("content", [b"", b"SQLite format 2\x00" + bytes(100), b"CREATE TABLE"])
def test_database_without_sqlite_header_rejected(tmp_path, content):
    path = write_archive(
        tmp_path / "b.tar.gz", [folder("data"), entry("data/demo.db", content=content)]
    )

    assert problem_of(path).key == "database_not_sqlite"


UNSAFE_CASES = [
    (entry("/etc/x"), "absolute"),
    (entry("data/../evil"), "parent"),
    (entry("../evil"), "parent"),
    (entry("etc/x"), "outside"),
    (entry("./data/x"), "outside"),
    (entry("data//x"), "outside"),
    (entry("database/x"), "outside"),
    (entry("data/up", tarfile.SYMTYPE, linkname="../../etc"), "link_outside"),
    (entry("data/up", tarfile.SYMTYPE, linkname=".."), "link_outside"),
    (entry("data/abs", tarfile.SYMTYPE, linkname="/etc/shadow"), "link_outside"),
    (entry("data/hard", tarfile.LNKTYPE, linkname="/etc/passwd"), "link_outside"),
    (entry("data/hard", tarfile.LNKTYPE, linkname="etc/passwd"), "link_outside"),
    (entry("data/hard", tarfile.LNKTYPE, linkname="data/../etc/passwd"), "link_outside"),
    (entry("data/tty", tarfile.CHRTYPE), "type"),
    (entry("data/sda", tarfile.BLKTYPE), "type"),
    (entry("data/pipe", tarfile.FIFOTYPE), "type"),
    (entry("data/demo.db", content=b"second copy"), "duplicate"),
]


@pytest.mark.parametrize(("member", "reason"), UNSAFE_CASES, ids=lambda case: str(case))
def test_unsafe_entry_rejected(tmp_path, member, reason):
    path = lab_backup(tmp_path, member)

    problem = problem_of(path)

    assert problem.key == "unsafe_entries"
    assert [(name, found) for name, found, _ in problem.values["entries"]] == [
        (member[0].name, reason)
    ]


def test_top_entry_that_is_file_rejected(tmp_path):
    path = write_archive(
        tmp_path / "b.tar.gz", [entry("data"), entry("data/demo.db", content=DATABASE)]
    )

    problem = problem_of(path)

    assert problem.key == "unsafe_entries"
    assert problem.values["entries"][0][:2] == ("data", "top_not_folder")


def read_restorable(tmp_path, entries, uid=10001, gid=10001):
    """Return {name: TarInfo} and {name: content} of what write_restorable makes of entries."""
    path = write_archive(tmp_path / "b.tar.gz", entries)
    target = io.BytesIO()
    written = backup.write_restorable(path, target, uid, gid)
    target.seek(0)
    with tarfile.open(fileobj=target) as restored:
        members = {member.name: member for member in restored.getmembers()}
        contents = {
            name: restored.extractfile(member).read()
            for name, member in members.items()
            if member.isfile()
        }
    assert written == len(members)
    return members, contents


def test_restored_entries_get_lab_owner(tmp_path):
    members, contents = read_restorable(
        tmp_path,
        [folder("data"), entry("data/demo.db", content=DATABASE, uid=0)],
    )

    assert [(m.uid, m.gid) for m in members.values()] == [(10001, 10001), (10001, 10001)]
    assert all(m.uname == "" and m.gname == "" for m in members.values())
    assert contents == {"data/demo.db": DATABASE}


@pytest.mark.parametrize(
    ("kind", "mode", "expected"),
    [
        (tarfile.REGTYPE, 0o644, 0o644),
        (tarfile.REGTYPE, 0o444, 0o644),
        (tarfile.REGTYPE, 0o666, 0o644),
        (tarfile.REGTYPE, 0o4755, 0o755),
        (tarfile.REGTYPE, 0o000, 0o600),
        (tarfile.DIRTYPE, 0o555, 0o755),
        (tarfile.DIRTYPE, 0o1777, 0o755),
        (tarfile.DIRTYPE, 0o000, 0o700),
    ],
)
def test_restored_modes(tmp_path, kind, mode, expected):
    members, _ = read_restorable(
        tmp_path,
        [folder("data"), entry("data/demo.db", content=DATABASE), entry("data/x", kind, mode=mode)],
    )

    assert members["data/x"].mode == expected


def test_missing_top_folder_added(tmp_path):
    members, _ = read_restorable(tmp_path, [entry("data/demo.db", content=DATABASE)], 20, 30)

    assert list(members) == ["data", "data/demo.db"]
    assert members["data"].isdir()
    assert (members["data"].uid, members["data"].gid, members["data"].mode) == (20, 30, 0o755)


def test_links_kept_with_lab_owner(tmp_path):
    members, _ = read_restorable(
        tmp_path,
        [
            folder("data"),
            entry("data/demo.db", content=DATABASE),
            entry("data/alias.db", tarfile.SYMTYPE, linkname="demo.db"),
        ],
    )

    assert members["data/alias.db"].issym()
    assert members["data/alias.db"].linkname == "demo.db"
    assert members["data/alias.db"].uid == 10001


def test_write_restorable_rejects_unsafe_archive(tmp_path):
    path = lab_backup(tmp_path, entry("/etc/x"))
    target = io.BytesIO()

    with pytest.raises(backup.ArchiveProblem):
        backup.write_restorable(path, target, 10001, 10001)

    assert target.getvalue() == b""


def test_messages_have_same_keys_in_both_languages():
    english, portuguese = backup.MESSAGES["en"], backup.MESSAGES["pt_BR"]

    assert set(english) == set(portuguese)
    assert set(english["kinds"]) == set(portuguese["kinds"])


@pytest.mark.parametrize("language", ["en", "pt_BR"])
def test_message_names_archive_entries_and_fix(tmp_path, language):
    members = [entry(f"/etc/x{number}") for number in range(7)]
    path = lab_backup(tmp_path, *members)

    message = problem_of(path).message(path, language)

    assert path in message
    assert "/etc/x0 (" in message
    assert "/etc/x4 (" in message
    assert "/etc/x5" not in message
    assert "(+2)" in message
    assert "cleanup.yml" in message
    assert "{" not in message


def test_message_unknown_language_falls_back_to_english(tmp_path):
    path = write_archive(tmp_path / "e.tar.gz", [])

    assert "contains no entries" in problem_of(path).message(path, "de")


def test_restorable_puts_database_first(tmp_path):
    members, _ = read_restorable(
        tmp_path,
        [
            entry("data/notes.txt", content=b"notes"),
            folder("data/sub"),
            entry("data/demo.db", content=DATABASE),
            folder("data"),
        ],
    )

    assert list(members) == ["data", "data/demo.db", "data/notes.txt", "data/sub"]
